import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client } from '../../libs/tasks/src/adapters/s3/s3-client';
import { download, peakRss, postMultipart, pseudoRandom, unzipHashes } from '../support/large-file';
import { Cluster, TERMINAL } from './harness/cluster';
import { S3Server } from './harness/s3-server';

/**
 * A 200 MiB file through the real distributed deployment on S3: PostgreSQL,
 * Redis, S3 (harness servers), the built api and a worker as child
 * processes. The multipart upload is streamed from this process to the api,
 * which streams it into S3; the worker streams it from S3 through the ZIP
 * back into S3 (multipart upload); the api streams the download out of S3.
 * The ZIP's entry hashes like the source, and neither process holds the file
 * in memory (peak RSS, VmHWM, bounded).
 */
const MIB = 1024 * 1024;
const SIZE = 200 * MIB;
/** Generous: each process idles at ~100-150 MB; holding the file whole would cost 200 MiB more. */
const MAX_RSS = 400 * MIB;
/** Stored, not deflated (an already compressed format): the ZIP is then as large as its input. */
const ENTRY = 'large.jpg';

describe('a 200 MiB file through upload, ZIP and download (distributed, S3)', () => {
  const s3 = new S3Server('stepwise-large');
  const scratch = mkdtempSync(join(tmpdir(), 'stepwise-large-s3-dl-'));
  let cluster: Cluster | undefined;
  let raw: S3Client | undefined;
  /** Peak RSS of the api and the worker once started, before the file. */
  let bootPeaks = { api: 0, worker: 0 };

  beforeAll(async () => {
    await s3.start();
    raw = createS3Client(s3.storageOptions);
    // The S3 variables exist only once the server has its port.
    cluster = new Cluster({ workers: 1, env: s3.env });
    await cluster.start();
    bootPeaks = { api: peakRss(cluster.api!.pid!), worker: peakRss(cluster.workers[0]!.pid!) };
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    raw?.destroy();
    await s3.stop();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('streams it into S3, zips it S3 to S3 in the worker, and serves it back identical', async () => {
    const c = cluster!;
    await c.diagnose(async () => {
      const source = pseudoRandom(SIZE, 'stepwise large-file distributed');
      const submitted = await postMultipart(
        c.apiPort,
        '/tasks/create-zip',
        { outputName: 'large.zip' },
        ENTRY,
        SIZE,
        source,
      );
      expect(submitted.status).toBe(202);
      expect(source.bytes()).toBe(SIZE);
      const sourceHash = source.sha256();
      const id = (JSON.parse(submitted.body) as { id: string }).id;

      const done = await c.waitForStatus(id, TERMINAL, 60_000);
      expect(done.status).toBe('completed');
      expect(done.steps.map((s) => [s.name, s.on, s.status])).toEqual([
        ['acceptFiles', 'api', 'completed'],
        ['createZipArchive', 'worker', 'completed'],
      ]);

      const result = (await (await c.fetch(`/tasks/${id}/result`)).json()) as {
        output: { name: string; size: number; entries: Array<{ name: string; size: number }> };
      };
      expect(result.output.entries).toEqual([{ name: ENTRY, size: SIZE }]);

      // Both objects are in the bucket, nothing on the shared disk, no multipart upload left open.
      const listed = await raw!.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `tasks/${id}/` }));
      expect((listed.Contents ?? []).map((o) => [o.Key, o.Size])).toEqual([
        [`tasks/${id}/input/0-${ENTRY}`, SIZE],
        [`tasks/${id}/output/large.zip`, result.output.size],
      ]);
      expect(existsSync(join(c.dataDir, 'tasks'))).toBe(false);
      const open = await raw!.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }));
      expect(open.Uploads ?? []).toEqual([]);
      // Both went up as multipart uploads of bounded parts (8 MiB): 25 parts and more each.
      const parts = (needle: string) =>
        s3.requests.filter((r) => r.method === 'PUT' && 'partNumber' in r.query && r.path.includes(needle));
      expect(parts(`/tasks/${id}/input/`).length).toBeGreaterThanOrEqual(25);
      expect(parts(`/tasks/${id}/output/`).length).toBeGreaterThanOrEqual(25);

      // Download, streamed to disk, hashed on the way.
      const zipPath = join(scratch, 'large.zip');
      const { res, bytes: zipBytes, sha256: zipSha256 } = await download(c.apiPort, `/tasks/${id}/download`, zipPath);
      expect(res.statusCode).toBe(200);
      expect(Number(res.headers['content-length'])).toBe(result.output.size);
      expect(zipBytes).toBe(result.output.size);
      expect(res.headers.etag).toBe(`"${zipSha256}"`);

      expect(await unzipHashes(zipPath)).toEqual([{ name: ENTRY, size: SIZE, sha256: sourceHash }]);

      const apiPeak = peakRss(c.api!.pid!);
      const workerPeak = peakRss(c.workers[0]!.pid!);
      process.stdout.write(
        `large-file distributed: api VmHWM ${(apiPeak / MIB).toFixed(1)} MiB ` +
          `(${(bootPeaks.api / MIB).toFixed(1)} after start), worker VmHWM ${(workerPeak / MIB).toFixed(1)} MiB ` +
          `(${(bootPeaks.worker / MIB).toFixed(1)} after start)\n`,
      );
      expect(apiPeak).toBeLessThan(MAX_RSS);
      expect(workerPeak).toBeLessThan(MAX_RSS);
    })();
  }, 120_000);
});
