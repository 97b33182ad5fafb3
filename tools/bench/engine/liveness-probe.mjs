// A liveness probe in a process of its own (so that the load generator's own event loop does not
// delay it): GETs the path every `everyMs` on a new connection each time, as an orchestrator's
// liveness probe does, until told to stop; then sends the answer times and statuses.
//   argv: port path everyMs      messages: { cmd: 'stop' } -> { probes, statuses, ms }
import { request } from 'node:http';
import { summary } from '../lib/util.mjs';

const [port, path, everyMs] = process.argv.slice(2);
const times = [];
const statuses = {};
let running = true;

process.on('message', (message) => {
  if (message?.cmd === 'stop') running = false;
});

while (running) {
  const start = performance.now();
  const status = await new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve('error'));
    req.end();
  });
  times.push(performance.now() - start);
  statuses[status] = (statuses[status] ?? 0) + 1;
  await new Promise((resolve) => setTimeout(resolve, Number(everyMs)));
}
process.send({ probes: times.length, statuses, ms: summary(times), inOrder: times.map((t) => Math.round(t)) }, () =>
  process.exit(0),
);
