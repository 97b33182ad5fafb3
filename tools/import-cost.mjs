// What `require('@stepwise/tasks')` costs a Nest app in embedded mode: time
// and RSS over a bare Nest app (reflect-metadata, @nestjs/core, common and
// platform-express), median of several fresh processes, and the packages it
// loads. Measures the packed build (dist/packages/tasks, `npm run pack`).
// Target (issue 10): at most 300 ms and 60 MB over bare Nest.
//   node tools/import-cost.mjs [runs]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './build.mjs';

const entry = join(root, 'dist/packages/tasks/dist/index.js');
if (!existsSync(entry)) execFileSync(process.execPath, [join(root, 'tools/pack.mjs')], { stdio: 'inherit' });
const runs = Number(process.argv[2] ?? 5);
const TARGET = { ms: 300, mb: 60 };

// One fresh process: bare Nest first, then (with `lib`) the library on top.
const probe = `
const now = () => performance.now();
const t0 = now();
require('reflect-metadata'); require('@nestjs/core'); require('@nestjs/common'); require('@nestjs/platform-express');
const t1 = now(); const r1 = process.memoryUsage().rss;
const before = new Set(Object.keys(require.cache));
if (process.argv[1] === 'lib') require(${JSON.stringify(entry)});
const t2 = now(); const r2 = process.memoryUsage().rss;
const added = {};
for (const file of Object.keys(require.cache)) {
  if (before.has(file)) continue;
  const m = file.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/);
  const name = m ? m[1] : 'stepwise';
  added[name] = (added[name] || 0) + 1;
}
process.stdout.write(JSON.stringify({ ms: t2 - t1, mb: (r2 - r1) / 1e6, added }));
`;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const samples = [];
for (let i = 0; i < runs; i++) {
  samples.push(JSON.parse(execFileSync(process.execPath, ['-e', probe, 'lib'], { cwd: root, encoding: 'utf8' })));
}
const ms = median(samples.map((s) => s.ms));
const mb = median(samples.map((s) => s.mb));
const verdict = (value, target) => (value <= target ? 'met' : 'MISSED');
console.log(`require('@stepwise/tasks') over bare Nest, median of ${runs}:`);
console.log(`  time ${ms.toFixed(0)} ms (target <= ${TARGET.ms}: ${verdict(ms, TARGET.ms)})`);
console.log(`  RSS  ${mb.toFixed(0)} MB (target <= ${TARGET.mb}: ${verdict(mb, TARGET.mb)})`);
console.log('  modules loaded, by package:');
for (const [name, files] of Object.entries(samples[0].added)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 20)) {
  console.log(`    ${String(files).padStart(5)}  ${name}`);
}
