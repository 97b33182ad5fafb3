// The IPC side shared by the PostgreSQL queue workers (pg-boss-worker.mjs,
// graphile-worker-worker.mjs), the same conversation as ../bullmq-worker.mjs:
//
//   { cmd: 'expect', n } -> { ok }, later { done, count, last, polls } once n more jobs
//                           ran and the queue holds nothing unfinished
//   { cmd: 'collect' }   -> { ok, starts: [[jobId, t0, start]] }
//   { cmd: 'stop' }      -> { ok }, then the process exits
//
// Times are performance.timeOrigin + performance.now(), comparable across processes.
// "Finished" is read from the database, not from the handler: both libraries write
// a job's completion after the handler returns (graphile-worker without awaiting it),
// so `last` is when a poll (every 5 ms, once the n-th handler returned) first saw
// nothing left: what BullMQ's 'completed' event and Stepwise's finished_at mean.
import pg from 'pg';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {string} url        the system's database
 * @param {string} pendingSql one row with an integer `n`: jobs not finished yet
 * @param {() => Promise<void>} close stops the library's worker
 */
export async function serveWorker(url, pendingSql, close) {
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  let starts = [];
  let expected = Infinity;
  let count = 0;

  const drain = async () => {
    let polls = 0;
    for (;;) {
      polls++;
      const { rows } = await probe.query(pendingSql);
      if (rows[0].n === 0) break;
      await sleep(5);
    }
    process.send({ done: true, count, last: now(), polls });
  };

  process.on('message', async (msg) => {
    if (msg.cmd === 'expect') {
      count = 0;
      expected = msg.n;
      process.send({ ok: true });
    } else if (msg.cmd === 'collect') {
      process.send({ ok: true, starts });
      starts = [];
    } else if (msg.cmd === 'stop') {
      await close().catch((error) => console.error(`stop: ${error}`));
      await probe.end().catch(() => undefined);
      process.send({ ok: true }, () => process.exit(0));
    }
  });

  return {
    /** First thing in the handler: records when a job carrying `t0` started. */
    started(id, data) {
      const start = now();
      if (typeof data?.t0 === 'number') starts.push([String(id), data.t0, start]);
    },
    /** Last thing in the handler. */
    finished(jobs = 1) {
      count += jobs;
      if (count >= expected) {
        expected = Infinity;
        drain().catch((error) => process.send({ done: true, error: String(error) }));
      }
    },
    ready() {
      process.send({ ready: true, pid: process.pid });
    },
  };
}
