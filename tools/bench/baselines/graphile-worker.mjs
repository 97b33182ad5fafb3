// graphile-worker 0.18 as a baseline (rows H): producer side, run in the
// orchestrator like the raw BullMQ producer (makeWorkerUtils, a pool of 10);
// the worker is graphile-worker-worker.mjs in its own process. Single submits
// are addJob(), batches are addJobs() of 1,000 jobs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeWorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { packageVersion, runPgQueueBaseline } from './pg-queue.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const TASK = 'noop';

export async function graphileWorkerBaseline(ctx, kit) {
  return runPgQueueBaseline(ctx, kit, {
    name: 'graphile-worker',
    version: packageVersion('graphile-worker'),
    database: 'bench_graphile',
    config: { concurrency: kit.CONCURRENCY, maxPoolSize: kit.CONCURRENCY + 2, listenNotify: true, producerPool: 10 },
    worker: (url) => [
      join(here, 'graphile-worker-worker.mjs'),
      [url, String(kit.CONCURRENCY)],
      { NO_LOG_SUCCESS: '1' },
    ],
    async producer(url) {
      // Our own pool: WorkerUtils' release() ends a pool it made without waiting for it.
      const pool = new pg.Pool({ connectionString: url, max: 10 });
      const onError = (error) => console.error(`graphile-worker producer pool: ${error.message}`);
      pool.on('error', onError);
      pool.on('connect', (client) => client.on('error', onError));
      const utils = await makeWorkerUtils({ pgPool: pool });
      await utils.migrate();
      return {
        sendOne: async (data) => (await utils.addJob(TASK, data)).id,
        sendMany: (datas) => utils.addJobs(datas.map((payload) => ({ identifier: TASK, payload }))),
        close: async () => {
          await utils.release();
          await pool.end();
        },
      };
    },
  });
}
