import { randomBytes } from 'node:crypto';
import { fromBuffer, type Entry, type ZipFile } from 'yauzl';
import { Cluster } from './harness/cluster';

/**
 * The ZIP scenario across processes: the multipart submit reaches the api,
 * which stores the files and runs step 1 (`acceptFiles`, on: api); step 2
 * (`createZipArchive`, on: worker) runs in the worker process; the archive
 * served by the api holds the uploaded files byte for byte.
 */
describe('create-zip across the api and a worker process', () => {
  const cluster = new Cluster({ workers: 1 });

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const inputs = [
    { name: 'hello.txt', content: Buffer.from('hello\n') },
    { name: 'random.bin', content: randomBytes(3 * 1024 * 1024 + 17) },
    { name: 'résumé 2024.txt', content: Buffer.from('unicode name, unicode content: 日本語\n') },
    { name: 'empty.txt', content: Buffer.alloc(0) },
    // Already compressed formats are stored, not deflated: another code path of the archive.
    { name: 'picture.png', content: randomBytes(200_000) },
  ];

  it('runs step 1 in the api and step 2 in the worker, and serves the exact files', async () => {
    await cluster.diagnose(async () => {
      const submitted = await cluster.submitFiles('create-zip', inputs, { outputName: 'bundle.zip' });
      expect(submitted.type).toBe('create-zip');

      const done = await cluster.waitForStatus(submitted.id, ['completed', 'failed', 'cancelled'], 30_000);
      expect(done.status).toBe('completed');
      expect(done.steps.map((s) => [s.name, s.on, s.status, s.attempts])).toEqual([
        ['acceptFiles', 'api', 'completed', 1],
        ['createZipArchive', 'worker', 'completed', 1],
      ]);

      // Who ran what: every claim of the task, recorded by the trigger of the harness.
      const claims = await cluster.claims(submitted.id);
      const apiPid = cluster.api!.pid;
      const workerPid = cluster.workers[0]!.pid;
      expect(claims.map((c) => [c.placement, c.pid])).toEqual([
        ['api', apiPid],
        ['worker', workerPid],
      ]);

      // The event log tells the same story, in order, once each.
      const steps = (await cluster.events(submitted.id))
        .filter((e) => e.type === 'task.step' || e.type === 'task.completed')
        .map((e) => [e.type, e.step, e.stepStatus]);
      expect(steps).toEqual([
        ['task.step', 'acceptFiles', 'running'],
        ['task.step', 'acceptFiles', 'completed'],
        ['task.step', 'createZipArchive', 'running'],
        ['task.step', 'createZipArchive', 'completed'],
        ['task.completed', null, null],
      ]);

      const result = (await (await cluster.fetch(`/tasks/${submitted.id}/result`)).json()) as {
        output: { name: string; entries: Array<{ name: string; size: number }> };
      };
      expect(result.output.name).toBe('bundle.zip');
      expect(result.output.entries).toEqual(inputs.map((f) => ({ name: f.name, size: f.content.length })));

      const download = await cluster.fetch(`/tasks/${submitted.id}/download`);
      expect(download.status).toBe(200);
      const zip = Buffer.from(await download.arrayBuffer());
      expect(Number(download.headers.get('content-length'))).toBe(zip.length);
      const entries = await readZip(zip);
      expect([...entries.keys()]).toEqual(inputs.map((f) => f.name));
      for (const input of inputs) {
        const entry = entries.get(input.name)!;
        expect(entry.length).toBe(input.content.length);
        expect(entry.equals(input.content)).toBe(true);
      }
    })();
  }, 60_000);
});

/** Every entry of a ZIP, in archive order, with its content (CRC-checked by yauzl). */
async function readZip(buffer: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    fromBuffer(buffer, { lazyEntries: true, decodeStrings: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return entries;
}
