// The PostgreSQL queue baselines in the engine suite's report (../engine/table.mjs): their rows (G pg-boss,
// H graphile-worker), their cost rows, and how Stepwise's engine (C, D) compares.
const round = (x) => Number(x.toFixed(3));

export const BASELINES = [
  { key: 'pgBoss', letter: 'G', calls: ['send()', 'insert()'] },
  { key: 'graphileWorker', letter: 'H', calls: ['addJob()', 'addJobs()'] },
];

function setup(b) {
  const c = b.config;
  return 'localConcurrency' in c
    ? `localConcurrency ${c.localConcurrency} × batchSize ${c.batchSize}, LISTEN/NOTIFY`
    : `concurrency ${c.concurrency}, pool ${c.maxPoolSize}, LISTEN/NOTIFY`;
}

/** Rows of the main table; `ratio` is against raw BullMQ (A). */
export function baselineRows(baselines, { ratio, fmt }) {
  const rows = [];
  for (const { key, letter, calls } of BASELINES) {
    const b = baselines?.[key];
    if (!b || b.error) {
      const why = b ? `failed: ${String(b.error).split('\n')[0]}` : 'not run';
      rows.push([`${letter}. ${key}`, '', '', '', '', '', why]);
      continue;
    }
    const [one, many] = calls;
    const P = b.pickup.fromSendResolvedMs;
    const fromCall = b.pickup.fromSendCallMs;
    rows.push(
      [
        `${letter}1. ${b.system} ${b.version}, ${one} ×50 in flight → completed, 1 worker process (${setup(b)})`,
        b.single.count,
        b.single.perSec,
        fmt(ratio(b.single.perSec)),
        '',
        '',
        'reference',
      ],
      [
        `${letter}2. ${b.system}, ${many} batches of 1,000 → completed`,
        b.batch.count,
        b.batch.perSec,
        fmt(ratio(b.batch.perSec)),
        '',
        '',
        'reference',
      ],
      [
        `${letter}3. ${b.system} pickup, one ${one} at a time (${one} resolved → handler start)`,
        b.pickup.count,
        '',
        '',
        fmt(P.p50),
        fmt(P.p99),
        `reference (from the ${one} call: p50 ${fmt(fromCall.p50)}, p99 ${fmt(fromCall.p99)} ms)`,
      ],
    );
  }
  return rows;
}

/** Rows of the cost table, `cost(name, cost)` being run.mjs's formatter. */
export function baselineCostLines(baselines, cost) {
  return BASELINES.filter(({ key }) => baselines?.[key] && !baselines[key].error).flatMap(({ key, letter, calls }) => [
    cost(`${letter}1. ${baselines[key].system} ${calls[0]}`, baselines[key].single.cost),
    cost(`${letter}2. ${baselines[key].system} ${calls[1]}`, baselines[key].batch.cost),
  ]);
}

/** Stepwise's engine (C throughput, D pickup) against raw BullMQ and each baseline, for latest.json. */
export function comparisons(r, targets) {
  const C = r.engine.throughput.perSec;
  const ratioToBullmq = C / r.raw.plain.throughput.perSec;
  const batchRatio = r.engine.batch.perSec / r.raw.plain.throughput.perSec;
  // Like for like: C submits one task per call, as A1 adds one job per call.
  const singleRatio = r.raw.plain.single ? C / r.raw.plain.single.perSec : null;
  const out = {
    stepwiseEngineOverRawBullmqSingle: {
      ratio: singleRatio === null ? null : round(singleRatio),
      target: targets.throughputRatio,
      met: singleRatio !== null && singleRatio >= targets.throughputRatio,
    },
    stepwiseEngineOverRawBullmq: {
      ratio: round(ratioToBullmq),
      target: targets.throughputRatio,
      met: ratioToBullmq >= targets.throughputRatio,
    },
    stepwiseBatchOverRawBullmq: {
      ratio: round(batchRatio),
      target: targets.throughputRatio,
      met: batchRatio >= targets.throughputRatio,
    },
  };
  for (const { key } of BASELINES) {
    const b = r.baselines?.[key];
    const name = `stepwiseEngineOver${key[0].toUpperCase()}${key.slice(1)}`;
    if (!b || b.error) {
      out[name] = { error: b?.error ?? 'not run' };
      continue;
    }
    const C2 = r.engine.batch.perSec;
    out[name] = {
      // Like for like: C (one submit per task) against single calls, C2 (submitMany) against batches.
      ratioToSingle: round(C / b.single.perSec),
      ratioToBatch: round(C / b.batch.perSec),
      stepwiseAhead: C > b.single.perSec,
      batchRatioToBatch: round(C2 / b.batch.perSec),
      stepwiseBatchAhead: C2 > b.batch.perSec,
      pickupP50FromCallMs: { stepwise: r.engine.pickup.fromSubmitCallMs.p50, [key]: b.pickup.fromSendCallMs.p50 },
    };
  }
  return out;
}

export function comparisonLines(r, cmp, { fmt, verdict }) {
  const C = r.engine.throughput.perSec;
  const C2 = r.engine.batch.perSec;
  const bull = cmp.stepwiseEngineOverRawBullmq;
  const lines = [
    '',
    `Stepwise's engine (C: ${C}/s, one TaskEngine.submit per task, 50 in flight; C2: ${C2}/s, submitMany batches) against the baselines, all one worker process on the same Redis/PostgreSQL:`,
    '',
    '| comparison | Stepwise ÷ other | verdict |',
    '| --- | --- | --- |',
    `| C ÷ A1 raw BullMQ (add() ×50 in flight: one call per task, like for like) | ${fmt(cmp.stepwiseEngineOverRawBullmqSingle.ratio)} | ≥ ${bull.target * 100}%: ${verdict(cmp.stepwiseEngineOverRawBullmqSingle.met)} |`,
    `| C ÷ A raw BullMQ (addBulk: one call per 1,000 jobs) | ${fmt(bull.ratio)} | ≥ ${bull.target * 100}%: ${verdict(bull.met)} |`,
    `| C2 ÷ A raw BullMQ (addBulk; batches against batches, like for like) | ${fmt(cmp.stepwiseBatchOverRawBullmq.ratio)} | ≥ ${bull.target * 100}%: ${verdict(cmp.stepwiseBatchOverRawBullmq.met)} |`,
  ];
  const pickups = [
    `D Stepwise ${fmt(r.engine.pickup.fromSubmitCallMs.p50)}`,
    `B raw BullMQ ${fmt(r.raw.plain.pickup.fromAddCallMs.p50)}`,
  ];
  for (const { key, letter, calls } of BASELINES) {
    const c = cmp[`stepwiseEngineOver${key[0].toUpperCase()}${key.slice(1)}`];
    const b = r.baselines?.[key];
    if (c.error) {
      lines.push(`| C ÷ ${letter} ${key} | – | not measured |`);
      continue;
    }
    lines.push(
      `| C ÷ ${letter}1 ${b.system}, single ${calls[0]} | ${fmt(c.ratioToSingle)} | ${c.stepwiseAhead ? 'Stepwise ahead' : `**${b.system} ahead**`} |`,
      `| C2 (submitMany) ÷ ${letter}2 ${b.system}, ${calls[1]} batches | ${fmt(c.batchRatioToBatch)} | ${c.stepwiseBatchAhead ? 'Stepwise ahead' : `**${b.system} ahead**`} |`,
    );
    pickups.push(`${letter}3 ${b.system} ${fmt(b.pickup.fromSendCallMs.p50)}`);
  }
  lines.push('', `Pickup p50 from the submit/add/send call, ms: ${pickups.join(', ')}.`);
  return lines;
}
