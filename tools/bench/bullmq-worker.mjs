// The raw BullMQ side of the benchmark, forked by run.mjs: one Worker with
// a no-op processor, in its own process (as Stepwise's worker is).
//
//   argv: redisUrl queueName concurrency
// Commands: { cmd: 'expect', n } -> { done, count, first, last } once n jobs completed
//           { cmd: 'collect' }   -> { ok, starts: [[jobId, t0, start]] }
//           { cmd: 'stop' }
import { Worker } from 'bullmq';

const [redisUrl, queueName, concurrency] = process.argv.slice(2);
const { hostname, port } = new URL(redisUrl);
const now = () => performance.timeOrigin + performance.now();

let starts = [];
let expected = Infinity;
let count = 0;
let first = 0;
let last = 0;

const worker = new Worker(
  queueName,
  async (job) => {
    const start = now();
    if (typeof job.data.t0 === 'number') starts.push([job.id, job.data.t0, start]);
    return null;
  },
  {
    connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null },
    concurrency: Number(concurrency),
    prefix: 'raw',
  },
);
worker.on('error', (error) => console.error(`bullmq worker: ${error}`));
worker.on('completed', () => {
  const t = now();
  if (count === 0) first = t;
  count++;
  last = t;
  if (count === expected) {
    process.send({ done: true, count, first, last });
    expected = Infinity;
  }
});

process.on('message', async (msg) => {
  if (msg.cmd === 'expect') {
    count = 0;
    expected = msg.n;
    process.send({ ok: true });
  } else if (msg.cmd === 'collect') {
    process.send({ ok: true, starts });
    starts = [];
  } else if (msg.cmd === 'stop') {
    await worker.close();
    process.send({ ok: true }, () => process.exit(0));
  }
});

await worker.waitUntilReady();
process.send({ ready: true, pid: process.pid });
