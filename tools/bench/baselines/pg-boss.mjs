// pg-boss 12 as a baseline (rows G): producer side, run in the orchestrator like
// the raw BullMQ producer; the worker is pg-boss-worker.mjs in its own process.
// Single submits are boss.send(); batches are boss.insert() of 1,000 jobs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgBoss } from 'pg-boss';
import { packageVersion, runPgQueueBaseline } from './pg-queue.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const QUEUE = 'bench-noop';
/** Fetch loops in the worker; each takes CONCURRENCY / LOOPS jobs per fetch. */
const LOOPS = 5;

export async function pgBossBaseline(ctx, kit) {
  const batchSize = Math.max(1, Math.round(kit.CONCURRENCY / LOOPS));
  return runPgQueueBaseline(ctx, kit, {
    name: 'pg-boss',
    version: packageVersion('pg-boss'),
    database: 'bench_pgboss',
    config: { localConcurrency: LOOPS, batchSize, listenNotify: true, producerPool: 10 },
    worker: (url) => [join(here, 'pg-boss-worker.mjs'), [url, QUEUE, String(LOOPS), String(batchSize)], {}],
    async producer(url) {
      // The producer neither supervises nor schedules: the worker's instance does the maintenance.
      const boss = new PgBoss({ connectionString: url, max: 10, supervise: false, schedule: false });
      boss.on('error', (error) => console.error(`pg-boss producer: ${error?.message ?? error}`));
      await boss.start();
      await boss.createQueue(QUEUE, { notify: true });
      return {
        sendOne: (data) => boss.send(QUEUE, data),
        sendMany: (datas) =>
          boss.insert(
            QUEUE,
            datas.map((data) => ({ data })),
          ),
        close: () => boss.stop({ graceful: false, timeout: 1_000 }),
      };
    },
  });
}
