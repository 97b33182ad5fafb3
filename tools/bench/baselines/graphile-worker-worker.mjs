// The graphile-worker side of the benchmark, forked by graphile-worker.mjs: one
// runner with a no-op `noop` task, in its own process.
//
//   argv: databaseUrl concurrency
// Commands: see worker-protocol.mjs.
//
// graphile-worker's defaults otherwise: every one of the `concurrency` workers
// fetches its own job (no localQueue), completions are not batched, new jobs wake
// the pool by LISTEN/NOTIFY (polling every 2 s is the backstop). maxPoolSize is
// concurrency + 2, as its documentation recommends. NO_LOG_SUCCESS=1 (set by the
// parent) drops the per-job "Completed task" log line.
import { Logger, run } from 'graphile-worker';
import { serveWorker } from './worker-protocol.mjs';

const [url, concurrency] = process.argv.slice(2);

const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`graphile-worker ${level}: ${message}`);
});

let runner;
const protocol = await serveWorker(
  url,
  'SELECT count(*)::int AS n FROM graphile_worker._private_jobs /* bench-probe */',
  () => runner.stop(),
);

runner = await run({
  connectionString: url,
  concurrency: Number(concurrency),
  maxPoolSize: Number(concurrency) + 2,
  noHandleSignals: true,
  logger,
  taskList: {
    noop: async (payload, helpers) => {
      protocol.started(helpers.job.id, payload);
      protocol.finished(1);
    },
  },
});
runner.promise.catch((error) => console.error(`graphile-worker runner: ${error}`));
protocol.ready();
