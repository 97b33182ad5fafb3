import { percentile, round, summary } from '../lib/util.mjs';

/**
 * From the traces of one-at-a-time submits: the median duration of each port
 * call, in order, from the submit call to the step start and on to the end.
 */
export function phaseBreakdown(subTrace, workTrace) {
  const byTask = new Map();
  let pendingSubmit = [];
  for (const [label, id, start, end] of subTrace) {
    if (label === 'engine.submit') {
      // The submit wrapper closes last; its id is unknown: attach to the task created inside it.
      const created = pendingSubmit.find((e) => e[0] === 'store.create');
      if (created) byTask.get(created[1]).unshift(['engine.submit', created[1], start, end]);
      pendingSubmit = [];
      continue;
    }
    const entry = [label, id, start, end];
    pendingSubmit.push(entry);
    if (!byTask.has(id)) byTask.set(id, []);
    byTask.get(id).push(entry);
  }
  for (const entry of workTrace) {
    if (!byTask.has(entry[1])) continue;
    byTask.get(entry[1]).push(entry);
  }
  // Sequence of segments per task: [name, duration]; names get an ordinal when repeated.
  const segments = new Map();
  const order = [];
  const toStep = [];
  for (const entries of byTask.values()) {
    const submit = entries.find((e) => e[0] === 'engine.submit');
    const step = entries.find((e) => e[0] === 'step.start');
    if (!submit || !step) continue;
    const t0 = submit[2];
    toStep.push(step[2] - t0);
    const seen = {};
    let cursor = t0;
    const sorted = entries.filter((e) => e[0] !== 'engine.submit').sort((a, b) => a[2] - b[2] || a[3] - b[3]);
    // The worker's handle() spans the whole run: use its start as "delivered by BullMQ".
    for (const [label, , start, end] of sorted) {
      const k = (seen[label] = (seen[label] ?? 0) + 1);
      const name = k > 1 ? `${label} #${k}` : label;
      const gapName = `(gap before ${name})`;
      if (label === 'worker.handle') {
        push(segments, order, 'BullMQ delivery (dispatch resolved -> handle() entered)', start - cursor);
        cursor = start;
        continue;
      }
      if (start - cursor > 0.05) push(segments, order, gapName, start - cursor);
      if (label === 'step.start') {
        push(segments, order, '== step starts ==', 0);
        cursor = start;
        continue;
      }
      push(segments, order, name, end - start);
      cursor = Math.max(cursor, end);
    }
  }
  return {
    tasks: toStep.length,
    submitToStepStartMs: summary(toStep),
    medianMsPerSegment: order.map((name) => ({
      segment: name,
      p50: round(percentile(segments.get(name), 50)),
      p99: round(percentile(segments.get(name), 99)),
      n: segments.get(name).length,
    })),
  };
}

function push(map, order, key, value) {
  if (!map.has(key)) {
    map.set(key, []);
    order.push(key);
  }
  map.get(key).push(value);
}
