// A liveness probe in a process of its own (so that the load generator's own event loop does not
// delay it): GETs the path every `everyMs` on a new connection each time, as an orchestrator's
// liveness probe does, until told to stop; then sends the answer times and statuses.
//   argv: port path everyMs      messages: -> { ready } once warm; { cmd: 'stop' } -> { probes, statuses, ms, inOrder }
import { request } from 'node:http';
import { summary } from '../lib/util.mjs';

const [port, path, everyMs] = process.argv.slice(2);
const times = [];
const statuses = {};
let running = true;

process.on('message', (message) => {
  if (message?.cmd === 'stop') running = false;
});

const get = () =>
  new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve('error'));
    req.end();
  });

// A prober that has been running a while, as a kubelet's is: its own first request (its HTTP
// client's set-up) is not the server's time. Ready once warm; the load starts then.
await get();
process.send({ ready: true });

while (running) {
  const start = performance.now();
  const status = await get();
  times.push(performance.now() - start);
  statuses[status] = (statuses[status] ?? 0) + 1;
  await new Promise((resolve) => setTimeout(resolve, Number(everyMs)));
}
process.send({ probes: times.length, statuses, ms: summary(times), inOrder: times.map((t) => Math.round(t)) }, () =>
  process.exit(0),
);
