// The pg-boss side of the benchmark, forked by pg-boss.mjs: one PgBoss instance
// working one queue with a no-op handler, in its own process.
//
//   argv: databaseUrl queueName localConcurrency batchSize
// Commands: see worker-protocol.mjs.
//
// pg-boss 12 hands a handler a batch (`batchSize` jobs) and runs `localConcurrency`
// such fetch loops, so up to localConcurrency × batchSize jobs are in flight.
// LISTEN/NOTIFY is on (the queue is created with notify: true by pg-boss.mjs), so
// a send wakes the loops at once; polling (0.5 s, the minimum) is the backstop.
// burstWhenBatchFull keeps a loop fetching while its batches come back full.
import { PgBoss } from 'pg-boss';
import { serveWorker } from './worker-protocol.mjs';

const [url, queue, localConcurrency, batchSize] = process.argv.slice(2);

const boss = new PgBoss({ connectionString: url, useListenNotify: true, schedule: false, migrate: false });
boss.on('error', (error) => console.error(`pg-boss worker: ${error?.message ?? error}`));
boss.on('warning', (warning) => console.error(`pg-boss worker warning: ${warning?.message ?? warning}`));
await boss.start();

const protocol = await serveWorker(
  url,
  `SELECT count(*)::int AS n FROM pgboss.job WHERE name = '${queue}' AND state < 'completed' /* bench-probe */`,
  () => boss.stop({ graceful: true, timeout: 5_000 }),
);

await boss.work(
  queue,
  {
    localConcurrency: Number(localConcurrency),
    batchSize: Number(batchSize),
    burstWhenBatchFull: true,
    pollingIntervalSeconds: 0.5,
    notifyPollingIntervalSeconds: 0.5,
  },
  async (jobs) => {
    for (const job of jobs) protocol.started(job.id, job.data);
    protocol.finished(jobs.length);
  },
);
protocol.ready();
