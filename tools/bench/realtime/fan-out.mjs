import { Agent } from 'node:http';
import { now, round, SCALE, sleep, summary } from '../lib/util.mjs';
import { lanes, openClient, submit } from './apps.mjs';
import { CONNECT_BATCH, IN_FLIGHT, LOSS_GRACE_MS, N, SHARED_OWNER, TERMINAL } from './settings.mjs';

export async function fanOutScenario(ctx) {
  const n = N.clients;
  const clients = Array.from({ length: n }, (_, i) =>
    openClient(ctx.apiPort, SHARED_OWNER ? 'fan-shared' : `fan-${i}`),
  );
  // Opened in batches: a thousand handshakes at once would only measure the accept queue.
  const t0 = now();
  for (let i = 0; i < n; i += CONNECT_BATCH) {
    const batch = clients.slice(i, i + CONNECT_BATCH);
    for (const c of batch) ctx.sockets.push(c.socket);
    await Promise.all(batch.map((c) => c.connected));
  }
  const connectMs = now() - t0;

  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const t1 = now();
  const ids = new Array(n);
  await lanes(n, IN_FLIGHT, async (i) => {
    ids[i] = await submit(agent, ctx.apiPort, clients[i].owner, { reports: 1, gapMs: 0, gate: true });
  });
  const submitMs = now() - t1;
  agent.destroy();

  const t2 = now();
  const ackMs = [];
  const notWaiting = [];
  await lanes(n, IN_FLIGHT, async (i) => {
    const start = now();
    const ack = await clients[i].subscribe(ids[i]);
    ackMs.push(now() - start);
    if (!['pending', 'running'].includes(ack.task?.status)) notWaiting.push([ids[i], ack.task?.status]);
  });
  const subscribeMs = now() - t2;
  if (notWaiting.length > 0) throw new Error(`tasks not held by the gate: ${JSON.stringify(notWaiting.slice(0, 5))}`);

  // Go: every task may run now; each client must get exactly one terminal event.
  const released = now();
  await ctx.worker.ask({ cmd: 'release' });
  const terminalsOf = (i) => clients[i].events.filter((e) => e.payload?.taskId === ids[i] && TERMINAL.includes(e.name));
  const arrived = () => clients.reduce((a, _, i) => a + (terminalsOf(i).length > 0 ? 1 : 0), 0);
  let dbDoneAt = null;
  let dbFinishedAt = null;
  let timedOut = false;
  const deadline = Date.now() + 90_000 * Math.max(1, SCALE);
  for (;;) {
    if (arrived() === n) break;
    if (dbDoneAt === null) {
      const { rows } = await ctx.pg.query(
        `SELECT count(*)::int AS done, max(finished_at)::float8 AS last FROM stepwise_tasks
          WHERE type = 'rt-bench' AND owner LIKE 'fan-%' AND status IN ('completed', 'failed', 'cancelled')`,
      );
      if (rows[0].done >= n) {
        dbDoneAt = now();
        dbFinishedAt = Number(rows[0].last);
      }
    } else if (now() - dbDoneAt > LOSS_GRACE_MS) break;
    if (Date.now() > deadline) {
      timedOut = true;
      break;
    }
    await sleep(dbDoneAt === null ? 50 : 20);
  }
  if (dbFinishedAt === null) {
    const { rows } = await ctx.pg.query(
      `SELECT max(finished_at)::float8 AS last FROM stepwise_tasks WHERE type = 'rt-bench' AND owner LIKE 'fan-%'`,
    );
    dbFinishedAt = rows[0].last === null ? null : Number(rows[0].last);
  }
  await sleep(300); // a duplicate would be in by now

  let lost = 0;
  let duplicated = 0;
  let notCompleted = 0;
  let foreign = 0;
  const arrivals = [];
  clients.forEach((c, i) => {
    const terminals = terminalsOf(i);
    if (terminals.length === 0) lost++;
    if (terminals.length > 1) duplicated++;
    if (terminals.length > 0 && terminals[0].name !== 'task.completed') notCompleted++;
    if (terminals.length > 0) arrivals.push(terminals[0].at - released);
    foreign += c.events.filter((e) => e.payload?.taskId !== undefined && e.payload.taskId !== ids[i]).length;
  });
  for (const c of clients) c.socket.disconnect();
  const { rows: statusRows } = await ctx.pg.query(
    `SELECT status, count(*)::int AS n FROM stepwise_tasks WHERE type = 'rt-bench' AND owner LIKE 'fan-%' GROUP BY status`,
  );
  return {
    clients: n,
    sharedOwner: SHARED_OWNER,
    workerConcurrency: ctx.workerSettings.concurrency,
    connectMs: round(connectMs, 1),
    submitMs: round(submitMs, 1),
    subscribeMs: round(subscribeMs, 1),
    subscribeAckMs: summary(ackMs),
    terminalEventsReceived: arrivals.length,
    lostTerminalEvents: lost,
    duplicatedTerminalEvents: duplicated,
    terminalNotCompleted: notCompleted,
    eventsOfOtherTasks: foreign,
    timedOut,
    /** Release of the gate -> last terminal event at a client. */
    allTerminalEventsMs: arrivals.length === n ? round(Math.max(...arrivals), 1) : null,
    terminalArrivalMs: summary(arrivals),
    /** Release of the gate -> the last task's finished_at in PostgreSQL. */
    allTasksFinishedInDbMs: dbFinishedAt === null ? null : round(dbFinishedAt - released, 1),
    tasksByStatus: Object.fromEntries(statusRows.map((r) => [r.status, r.n])),
  };
}
