import { Agent } from 'node:http';
import { sleep, summary } from '../lib/util.mjs';
import { openClient, submit, waitUntil } from './apps.mjs';
import { N, TERMINAL } from './settings.mjs';

export async function latencyScenario(ctx) {
  const gapMs = Math.max(ctx.settings.engineProgressThrottleMs, ctx.settings.realtimeProgressThrottleMs) + 50;
  const client = openClient(ctx.apiPort, 'latency');
  ctx.sockets.push(client.socket);
  await client.connected;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  /** Runs `tasks` tasks of `reports` reports, started gap/tasks apart; returns the latencies and the losses. */
  const run = async (tasks, reports) => {
    const ids = [];
    const acks = [];
    for (let k = 0; k < tasks; k++) {
      const id = await submit(agent, ctx.apiPort, client.owner, { reports, gapMs });
      ids.push(id);
      acks.push(await client.subscribe(id));
      if (k < tasks - 1) await sleep(gapMs / tasks);
    }
    const ended = () =>
      ids.filter((id) => client.events.some((e) => e.payload?.taskId === id && TERMINAL.includes(e.name)));
    await waitUntil(
      () => ended().length === ids.length,
      30_000 + reports * gapMs,
      () => `terminal events of the latency tasks (${ended().length}/${ids.length})`,
    );
    const { seen } = await ctx.api.ask({ cmd: 'collect' });
    const { saved, published } = await ctx.worker.ask({ cmd: 'collect' });
    const key = (taskId, seq) => `${taskId}/${seq}`;
    const atApi = new Map(seen.map(([taskId, seq, at]) => [key(taskId, seq), at]));
    const savedAt = new Map(saved.map(([taskId, seq, at]) => [key(taskId, seq), at]));
    const publishOf = new Map(published.map(([taskId, seq, start, end]) => [key(taskId, seq), { start, end }]));
    const samples = [];
    const parts = {
      toStamp: [],
      stampToSaved: [],
      savedToPublish: [],
      publishCall: [],
      publishToApi: [],
      apiToClient: [],
    };
    let stale = 0;
    for (const id of ids) {
      for (const e of client.events) {
        if (e.payload?.taskId !== id || e.name !== 'task.progress') continue;
        const m = /^t=(\d+(?:\.\d+)?)$/.exec(e.payload.message ?? '');
        if (!m) {
          stale++;
          continue;
        }
        const called = Number(m[1]);
        samples.push(e.at - called);
        // `at` of the event: the engine's clock (whole ms) when it built the event.
        const stamped = Date.parse(e.payload.at);
        const k = key(id, e.payload.seq);
        const api = atApi.get(k);
        const save = savedAt.get(k);
        const pub = publishOf.get(k);
        parts.toStamp.push(stamped - called);
        if (save !== undefined) parts.stampToSaved.push(save - stamped);
        if (save !== undefined && pub) parts.savedToPublish.push(pub.start - save);
        if (pub) parts.publishCall.push(pub.end - pub.start);
        if (pub && api !== undefined) parts.publishToApi.push(api - pub.start);
        if (api !== undefined) parts.apiToClient.push(e.at - api);
      }
    }
    const completed = ids.filter((id) =>
      client.events.some((e) => e.payload?.taskId === id && e.name === 'task.completed'),
    ).length;
    return {
      samples,
      parts,
      expected: tasks * reports,
      stale,
      completed,
      snapshotsPending: acks.filter((a) => a.task?.status === 'pending').length,
    };
  };

  const warmup = await run(2, N.warmupReports);
  const measured = await run(N.latencyTasks, N.latencyReports);
  agent.destroy();
  client.socket.disconnect();
  return {
    gapMs,
    tasks: N.latencyTasks,
    reportsPerTask: N.latencyReports,
    expectedSamples: measured.expected,
    receivedSamples: measured.samples.length,
    unparsedProgressEvents: measured.stale,
    completedTasks: measured.completed,
    warmupSamples: warmup.samples.length,
    latencyMs: summary(measured.samples),
    /**
     * Where the time goes, per sample (steps that involve the event's `at` are approximate: it has
     * whole milliseconds): progress() -> the engine stamps the event (`at`) -> store.save resolved in
     * the worker (the PostgreSQL transaction: task, step and event rows) -> bus.publish called
     * (notifier in between, if any) -> the api's event bus got it (Redis PUBLISH and delivery, the
     * api's event loop) -> the Socket.IO client got it (gateway, WebSocket, the client's event loop).
     * `publishCall` is the Redis PUBLISH round trip as the worker sees it.
     */
    breakdownMs: Object.fromEntries(Object.entries(measured.parts).map(([name, values]) => [name, summary(values)])),
  };
}
