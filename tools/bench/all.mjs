// `npm run bench`: every benchmark, one after the other (they would skew each
// other side by side), each writing tools/bench/results/<name>.json and a table.
// BENCH_ONLY=engine,storage,realtime picks some; BENCH_SCALE scales them all.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suites = [
  ['engine', 'run.mjs', 'issue 3: raw BullMQ, pg-boss, graphile-worker vs Stepwise, throughput and pickup latency'],
  ['storage', 'storage.mjs', 'issue 4: S3 -> ZIP -> S3 vs raw copy, memory, concurrent uploads'],
  ['realtime', 'realtime.mjs', 'issue 5: progress to Socket.IO latency, 1,000 clients'],
];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
let failed = 0;
for (const [name, file, what] of suites) {
  if (only && !only.includes(name)) continue;
  console.log(`\n==> bench ${name} (${what})`);
  const run = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit', env: process.env });
  if (run.status !== 0) {
    failed++;
    console.log(`<== bench ${name} exited with ${run.status ?? run.signal}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
