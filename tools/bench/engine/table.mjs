// The engine suite's report: the main table (A to F and the baselines), the
// comparisons, the cost per task or job, and where D's pickup goes.
import { baselineCostLines, baselineRows, comparisonLines } from '../baselines/report.mjs';
import { TARGETS } from './common.mjs';

function fmt(x, digits = 2) {
  return x === null || x === undefined ? '–' : Number(x).toFixed(digits);
}

function verdict(ok) {
  return ok ? 'MET' : '**MISSED**';
}

export function tables(r) {
  const A = r.raw.plain.throughput;
  const B = r.raw.plain.pickup.fromAddCallMs;
  const BR = r.raw.plain.pickup.fromAddResolvedMs;
  const C = r.engine.throughput;
  const D = r.engine.pickup.fromSubmitCallMs;
  const H = r.http.throughput;
  const HP = r.http.pickup.fromRequestStartMs;
  const E = r.apps;
  const ratio = (x) => x / A.perSec;
  const tput = (x) =>
    `${verdict(ratio(x.perSec) >= TARGETS.throughputRatio)} (≥ ${TARGETS.throughputRatio * 100}%: ${fmt(ratio(x.perSec) * 100, 1)}%)`;
  const pick = (x) =>
    `p50 ≤ ${TARGETS.pickupP50Factor}× raw (${fmt(B.p50 * TARGETS.pickupP50Factor)} ms): ${verdict(x.p50 <= B.p50 * TARGETS.pickupP50Factor)}; ` +
    `p99 < ${TARGETS.pickupP99Ms} ms: ${verdict(x.p99 < TARGETS.pickupP99Ms)}`;
  /** A row of throughput to completion, against raw BullMQ's. */
  const throughputRow = (name, x) => [name, x.count, x.perSec, fmt(ratio(x.perSec)), '', '', tput(x)];
  /** A row of raw BullMQ's throughput, with what it is the baseline of. */
  const rawRow = (name, x, role) => [name, x.count, x.perSec, fmt(ratio(x.perSec)), '', '', role];
  /** A row of pickup, one at a time. */
  const pickupRow = (name, count, x, target) => [name, count, '', '', fmt(x.p50), fmt(x.p99), target];
  const rows = [
    [
      'A. raw BullMQ, addBulk, 1 worker process, concurrency 50',
      A.count,
      A.perSec,
      '1.00 (baseline)',
      '',
      '',
      'baseline',
    ],
    ...(r.raw.plain.single
      ? [
          rawRow(
            'A1. raw BullMQ, queue.add() ×50 in flight, same worker',
            r.raw.plain.single,
            'baseline of C (one call per task)',
          ),
        ]
      : []),
    rawRow(
      'A2. raw BullMQ with Stepwise’s job options (jobId, priority)',
      r.raw.stepwiseOptions.throughput,
      'reference',
    ),
    pickupRow(
      'B. raw BullMQ pickup, one add at a time (add call → processor start)',
      r.raw.plain.pickup.count,
      B,
      `baseline (from add resolved: p50 ${fmt(BR.p50)}, p99 ${fmt(BR.p99)} ms)`,
    ),
    throughputRow('C. Stepwise engine, TaskEngine.submit ×50 in flight → completed', C),
    throughputRow(
      `C2. Stepwise engine, TaskEngine.submitMany batches of ${r.engine.batch.batch.toLocaleString('en')} → completed`,
      r.engine.batch,
    ),
    pickupRow('D. Stepwise pickup, one submit at a time (submit call → step start)', r.engine.pickup.count, D, pick(D)),
    throughputRow('E. Stepwise through HTTP (POST /tasks/noop ×50 in flight) → completed', H),
    pickupRow(
      'E. Stepwise pickup through HTTP, one request at a time (request start → step start)',
      r.http.pickup.count,
      HP,
      pick(HP),
    ),
    throughputRow('F. built api + worker apps, POST /tasks/countdown {ticks:1,tickMs:0} ×50 → completed', E),
    ...baselineRows(r.baselines, { ratio, fmt }),
  ];
  const header = [
    'scenario',
    'count',
    'throughput/s',
    'ratio vs raw BullMQ',
    'pickup p50 ms',
    'pickup p99 ms',
    'targets',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    ...comparisonLines(r, r.comparisons, { fmt, verdict }),
    ...(E.liveness
      ? [
          '',
          `Liveness under load: ${E.liveness.probes} GET /health/live to the api app of F from a process of their own, one every 20 ms on a new connection, ` +
            `while its ${E.count.toLocaleString('en')} submits arrived (statuses ${JSON.stringify(E.liveness.statuses)}): ` +
            `p50 ${fmt(E.liveness.ms.p50)} ms, p99 ${fmt(E.liveness.ms.p99)} ms, max ${fmt(E.liveness.ms.max)} ms; ` +
            `every answer under ${TARGETS.livenessMaxMs} ms: ${verdict(E.liveness.ms.max < TARGETS.livenessMaxMs && Object.keys(E.liveness.statuses).every((s) => s === '200'))}` +
            (E.liveness.inOrder ? ` (in order: ${E.liveness.inOrder.join(', ')} ms).` : '.'),
        ]
      : []),
  ];

  const cost = (name, c) =>
    `| ${name} | ${fmt(c.sqlStatements?.perUnit, 1)} | ${fmt(c.transactionsPerUnit, 1)} | ${fmt(c.sqlStatements?.serverExecMsPerUnit, 3)} | ${fmt(c.walBytesPerUnit, 0)} | ${fmt(c.redisCommandsPerUnit, 1)} | ${Object.entries(
      c.cpuMsPerUnit,
    )
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${fmt(v, 3)}`)
      .join(', ')} | ${fmt(c.cpuMsPerUnitTotal, 3)} |`;
  const costLines = [
    '',
    'Cost per task/job (whole scenario, background work included):',
    '',
    '| scenario | SQL statements | PG transactions | PG exec ms | WAL bytes | Redis commands | CPU ms by process | CPU ms total |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    cost('A. raw BullMQ', A.cost),
    ...(r.raw.plain.single ? [cost('A1. raw BullMQ, add() ×50', r.raw.plain.single.cost)] : []),
    cost('C. Stepwise engine', C.cost),
    cost('C2. Stepwise engine, submitMany', r.engine.batch.cost),
    cost('D. Stepwise one at a time', r.engine.pickup.cost),
    cost('E. Stepwise HTTP noop', H.cost),
    cost('F. built apps countdown', E.cost),
    ...baselineCostLines(r.baselines, cost),
  ];
  const prof = r.engine.profile;
  const profLines = [
    '',
    `Where D's pickup goes (${prof.tasks} profiled tasks, submit → step start p50 ${fmt(prof.submitToStepStartMs?.p50)} ms; ports timed by wrappers):`,
    '',
    '| segment (in order) | p50 ms | p99 ms |',
    '| --- | --- | --- |',
    ...prof.medianMsPerSegment.map((s) => `| ${s.segment} | ${fmt(s.p50, 3)} | ${fmt(s.p99, 3)} |`),
  ];
  const env = [
    '',
    `PostgreSQL: SELECT 1 round trip p50 ${fmt(r.postgres.selectRoundTripMs.p50, 3)} ms, single-row INSERTs through a pool of 10: ${r.postgres.insertsPerSecPool10}/s. ` +
      `Machine: ${r.machine.cpus} CPU(s), Node ${r.machine.node}, BENCH_SCALE=${r.scale}, fsync ${r.fsync ? 'on' : 'off'}.`,
  ];
  return [...lines, ...costLines, ...profLines, ...env].join('\n');
}
