import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, waitFor } from './harness/cluster';

interface SpanLine {
  pid: number;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
}

/**
 * Every process runs with an OpenTelemetry SDK (span-file-exporter.cjs): the
 * submit's span in the api, the step attempts in the api and the workers,
 * a worker killed mid-step and its successor, all in the one trace of the submit.
 */
describe('one trace across processes (OpenTelemetry)', () => {
  const spansDir = mkdtempSync(join(tmpdir(), 'stepwise-spans-'));
  const preload = join(__dirname, 'harness', 'span-file-exporter.cjs');
  const cluster = new Cluster({
    workers: 1,
    env: { SPANS_DIR: spansDir, NODE_OPTIONS: `--require "${preload}"` },
  });
  const spans = (): SpanLine[] =>
    readdirSync(spansDir).flatMap((file) =>
      readFileSync(join(spansDir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SpanLine),
    );

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
    rmSync(spansDir, { recursive: true, force: true });
  }, 60_000);

  it(
    'the api step, the worker step and the storage calls join the submit trace',
    cluster.diagnose(async () => {
      const files = [{ name: 'a.txt', content: Buffer.from('trace me\n') }];
      const submitted = await cluster.submitFiles('create-zip', files, { outputName: 'traced.zip' });
      expect((await cluster.waitForStatus(submitted.id, ['completed', 'failed'], 30_000)).status).toBe('completed');
      const mine = () => spans().filter((s) => s.attributes['stepwise.task.id'] === submitted.id);
      await waitFor(() => mine().length >= 2, { timeoutMs: 5_000, what: () => 'the step spans' });

      const submit = spans().find((s) => s.name === 'stepwise.submit create-zip')!;
      expect(submit.pid).toBe(cluster.api!.pid);
      const steps = mine().map((s) => [s.name, s.pid, s.traceId, s.parentSpanId]);
      expect(steps).toEqual(
        expect.arrayContaining([
          ['stepwise.step create-zip.acceptFiles', cluster.api!.pid, submit.traceId, submit.spanId],
          ['stepwise.step create-zip.createZipArchive', cluster.workers[0]!.pid, submit.traceId, submit.spanId],
        ]),
      );
      const zip = mine().find((s) => s.name === 'stepwise.step create-zip.createZipArchive')!;
      const puts = spans().filter((s) => s.name === 'stepwise.storage put' && s.parentSpanId === zip.spanId);
      expect(puts.map((s) => [s.pid, s.traceId])).toEqual([[cluster.workers[0]!.pid, submit.traceId]]);
    }),
    60_000,
  );

  it(
    'a step recovered by a new worker after a crash stays in the trace of its submit',
    cluster.diagnose(async () => {
      const submitted = await cluster.submit('countdown', { ticks: 40, tickMs: 100 });
      await cluster.waitForStatus(submitted.id, 'running', 20_000);
      const crashed = cluster.workers[0]!.pid;
      await cluster.killWorker(0, 'SIGKILL');
      await cluster.startWorker(0);
      const done = await cluster.waitForStatus(submitted.id, ['completed', 'failed'], 60_000);
      expect(done.status).toBe('completed');
      const recovered = () =>
        spans().filter((s) => s.attributes['stepwise.task.id'] === submitted.id && s.name.startsWith('stepwise.step'));
      await waitFor(() => recovered().length > 0, { timeoutMs: 5_000, what: () => 'the recovered step span' });

      const submit = spans().find(
        (s) => s.name === 'stepwise.submit countdown' && s.traceId === recovered()[0].traceId,
      );
      expect(submit?.pid).toBe(cluster.api!.pid);
      // The killed worker never ended its span: the one exported is the new worker's second attempt.
      expect(recovered().map((s) => [s.pid, s.parentSpanId, s.attributes['stepwise.step.attempt']])).toEqual([
        [cluster.workers[0]!.pid, submit!.spanId, 2],
      ]);
      expect(cluster.workers[0]!.pid).not.toBe(crashed);
    }),
    90_000,
  );
});
