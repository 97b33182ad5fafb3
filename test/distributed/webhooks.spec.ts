import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import {
  verifyStepwiseSignature,
  WebhookReceiver,
  type ReceivedRequest,
} from '../../libs/tasks/src/webhooks/testing/webhook-receiver';
import { Cluster, TERMINAL, waitFor, type TaskView } from './harness/cluster';

/**
 * Webhooks on a real deployment: PostgreSQL (the outbox), Redis, the api and
 * workers as child processes, and an independent receiver (plain node:http,
 * signatures checked with node:crypto) on loopback.
 *
 * Who sends: every process (api and worker roles) runs a webhook dispatcher
 * (notify/webhook-providers.ts registers it for every role) that polls the
 * `stepwise_webhook_deliveries` outbox and leases due deliveries; the
 * process that records the event (here the worker that ran the countdown)
 * writes its deliveries in the event's own statement, then kicks its own
 * dispatcher. A test trigger records every
 * lease (who claimed which delivery, when), as `test_claims` does for tasks.
 *
 * Retry timing is not configurable by environment (only WEBHOOK_SECRET and
 * WEBHOOK_ALLOW_PRIVATE are read): the library's defaults apply, a retry
 * 0.5-1 s after the 1st failure, 1-2 s after the 2nd, polls every 500 ms,
 * and a lease of `2 * timeoutMs + 5 s` = 25 s on a delivery in flight.
 */

const SECRET = 'distributed-webhook-secret-0123456789';

/** `GET /tasks/{id}/webhooks`, one delivery. */
interface DeliveryView {
  id: string;
  url: string;
  target: 'callback' | 'subscription';
  event: string;
  status: 'pending' | 'delivered' | 'failed' | 'exhausted';
  attempts: number;
  maxAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  history: Array<{ attempt: number; at: string; statusCode: number | null; error: string | null; durationMs: number }>;
}

/** A lease of a delivery, as recorded by the test trigger. */
interface DeliveryClaim {
  deliveryId: string;
  owner: string;
  pid: number;
  /** Attempts recorded before this claim. */
  attempts: number;
  leaseExpiresAt: number;
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `POST /tasks/countdown?callbackUrl=...` on API instance `api` (default the first). */
async function submitWithCallback(
  cluster: Cluster,
  input: { ticks: number; tickMs: number },
  callbackUrl: string,
  api = 0,
): Promise<Response> {
  return cluster.fetchFrom(api, `/tasks/countdown?callbackUrl=${encodeURIComponent(callbackUrl)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
}

async function submitCountdown(cluster: Cluster, input: { ticks: number; tickMs: number }, callbackUrl: string) {
  const res = await submitWithCallback(cluster, input, callbackUrl);
  if (res.status !== 202) throw new Error(`submit: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as TaskView;
}

async function deliveryLog(cluster: Cluster, taskId: string, api = 0): Promise<DeliveryView[]> {
  const res = await cluster.fetchFrom(api, `/tasks/${taskId}/webhooks`);
  if (res.status !== 200) throw new Error(`GET /tasks/${taskId}/webhooks: HTTP ${res.status} ${await res.text()}`);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return ((await res.json()) as { items: DeliveryView[] }).items;
}

/** The log once it has `count` deliveries and none is pending. */
async function settledLog(cluster: Cluster, taskId: string, count = 1, timeoutMs = 15_000): Promise<DeliveryView[]> {
  let last: DeliveryView[] = [];
  await waitFor(
    async () => {
      last = await deliveryLog(cluster, taskId);
      return last.length === count && last.every((d) => d.status !== 'pending');
    },
    {
      timeoutMs,
      intervalMs: 50,
      what: () => `${count} settled webhook(s) of task ${taskId}; log ${JSON.stringify(last)}`,
    },
  );
  return last;
}

/** Records each lease of a delivery (the lease owner changing to a process) in `test_webhook_claims`. */
async function installDeliveryClaimLog(cluster: Cluster): Promise<void> {
  await cluster.sql(`
    CREATE TABLE test_webhook_claims (
      id bigserial PRIMARY KEY,
      delivery_id varchar NOT NULL,
      owner varchar NOT NULL,
      attempts integer NOT NULL,
      lease_expires_at bigint NOT NULL,
      at bigint NOT NULL
    )`);
  await cluster.sql(`
    CREATE FUNCTION test_record_webhook_claim() RETURNS trigger AS $$
    BEGIN
      INSERT INTO test_webhook_claims (delivery_id, owner, attempts, lease_expires_at, at)
      VALUES (NEW.id, NEW.lease_owner, NEW.attempts, NEW.lease_expires_at,
              (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
      RETURN NULL;
    END $$ LANGUAGE plpgsql`);
  await cluster.sql(`
    CREATE TRIGGER test_webhook_claims AFTER UPDATE ON stepwise_webhook_deliveries FOR EACH ROW
    WHEN (NEW.lease_owner IS NOT NULL AND NEW.lease_owner IS DISTINCT FROM OLD.lease_owner)
    EXECUTE FUNCTION test_record_webhook_claim()`);
}

async function deliveryClaims(cluster: Cluster, deliveryId: string): Promise<DeliveryClaim[]> {
  const rows = await cluster.sql<Record<string, unknown>>(
    'SELECT delivery_id, owner, attempts, lease_expires_at, at FROM test_webhook_claims WHERE delivery_id = $1 ORDER BY id',
    [deliveryId],
  );
  return rows.map((r) => ({
    deliveryId: String(r.delivery_id),
    owner: String(r.owner),
    pid: Number(String(r.owner).split(':').at(-2)),
    attempts: Number(r.attempts),
    leaseExpiresAt: Number(r.lease_expires_at),
    at: Number(r.at),
  }));
}

/** `api`, `api 1`, `worker 0`... for the process with that pid (or `gone`). */
function processName(cluster: Cluster, pid: number): string {
  const api = cluster.apis.findIndex((a) => a?.pid === pid);
  if (api >= 0) return api === 0 ? 'api' : `api ${api}`;
  const worker = cluster.workers.findIndex((w) => w?.pid === pid);
  return worker >= 0 ? `worker ${worker}` : `gone (pid ${pid})`;
}

/**
 * The signature check, spelled out with node:crypto against the raw bytes:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 */
function checkSignature(req: ReceivedRequest, secret = SECRET): { t: number } {
  const header = req.headers['x-stepwise-signature'];
  expect(typeof header).toBe('string');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header as string);
  expect(match).not.toBeNull();
  const t = Number(match![1]);
  const expected = createHmac('sha256', secret).update(`${t}.`).update(req.rawBody).digest();
  expect(timingSafeEqual(expected, Buffer.from(match![2], 'hex'))).toBe(true);
  // Signed at the attempt, by a clock of this machine.
  expect(Math.abs(req.receivedAt / 1000 - t)).toBeLessThanOrEqual(5);
  // The recipe of notify/README.md agrees, and it means something: another key or one changed byte fails.
  expect(verifyStepwiseSignature(req.rawBody, header as string, secret)).toBe(true);
  expect(verifyStepwiseSignature(req.rawBody, header as string, `${secret}x`)).toBe(false);
  const tampered = Buffer.from(req.rawBody);
  tampered[tampered.length - 2] ^= 1;
  expect(verifyStepwiseSignature(tampered, header as string, secret)).toBe(false);
  return { t };
}

const bodyOf = (req: ReceivedRequest) => JSON.parse(req.rawBody.toString('utf8')) as Record<string, unknown>;

describe('webhooks across processes (1 api, 2 workers, PostgreSQL outbox)', () => {
  const cluster = new Cluster({
    apis: 1,
    workers: 2,
    env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: '1' },
  });
  const receivers: WebhookReceiver[] = [];

  async function startReceiver(receiver = new WebhookReceiver()): Promise<WebhookReceiver> {
    receivers.push(receiver);
    return receiver.start();
  }

  beforeAll(async () => {
    await cluster.start();
    await installDeliveryClaimLog(cluster);
  }, 120_000);

  afterAll(async () => {
    for (const receiver of receivers) await receiver.stop();
    await cluster.stop();
  }, 60_000);

  it('sends task.completed once to the callbackUrl, signed over the raw body, as documented', async () => {
    await cluster.diagnose(async () => {
      // Every process says it allows private targets (the receiver is on loopback).
      for (const app of [...cluster.apis, ...cluster.workers]) {
        expect(
          Cluster.lines(app).some((l) => l.includes('private, loopback and link-local webhook targets are allowed')),
        ).toBe(true);
      }
      const receiver = await startReceiver();
      const callbackUrl = receiver.url('/hooks/done?token=abc');
      const task = await submitCountdown(cluster, { ticks: 3, tickMs: 30 }, callbackUrl);
      expect((await cluster.waitForStatus(task.id, TERMINAL)).status).toBe('completed');

      const [delivery] = await settledLog(cluster, task.id);
      expect(delivery).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        url: callbackUrl,
        target: 'callback',
        event: 'task.completed',
        status: 'delivered',
        attempts: 1,
        maxAttempts: 8,
        lastStatusCode: 204,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: expect.stringMatching(/Z$/),
        createdAt: expect.stringMatching(/Z$/),
        history: [{ attempt: 1, at: expect.any(String), statusCode: 204, error: null, durationMs: expect.any(Number) }],
      });

      // Once: no duplicate and no other event (created, progress) is sent, even after several polls.
      await sleep(1_500);
      expect(receiver.requests).toHaveLength(1);
      const [req] = receiver.requests;
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/hooks/done?token=abc');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['user-agent']).toBe('stepwise-webhooks');
      expect(req.headers['x-stepwise-delivery']).toBe(delivery.id);
      expect(req.headers['x-stepwise-event']).toBe('task.completed');
      checkSignature(req);

      // The payload is the log's task.completed event (step and message when it has them), plus the output.
      const event = (await cluster.events(task.id)).find((e) => e.type === 'task.completed')!;
      expect(event).toBeDefined();
      const body = bodyOf(req);
      expect(body).toEqual({
        id: delivery.id,
        event: 'task.completed',
        taskId: task.id,
        taskType: 'countdown',
        status: 'completed',
        progress: 1,
        ...(event.step ? { step: event.step } : {}),
        ...(event.message ? { message: event.message } : {}),
        at: new Date(event.at).toISOString(),
        output: { ticks: 3 },
      });
      expect(Date.parse(body.at as string)).toBeLessThanOrEqual(req.receivedAt);
      console.info(`task.completed payload: ${req.rawBody.toString('utf8')}`);

      // Sent by one of the cluster's processes, under one lease.
      const claims = await deliveryClaims(cluster, delivery.id);
      expect(claims).toHaveLength(1);
      expect(processName(cluster, claims[0].pid)).not.toMatch(/^gone/);
    })();
  }, 30_000);

  it('retries a receiver that answers 500 then 503, and the REST log shows each attempt', async () => {
    await cluster.diagnose(async () => {
      const receiver = await startReceiver(WebhookReceiver.statuses(500, 503));
      const task = await submitCountdown(cluster, { ticks: 2, tickMs: 20 }, receiver.url('/hooks/flaky'));
      const [delivery] = await settledLog(cluster, task.id);
      expect(delivery).toMatchObject({
        event: 'task.completed',
        status: 'delivered',
        attempts: 3,
        maxAttempts: 8,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: expect.stringMatching(/Z$/),
      });
      expect(delivery.history.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
        [1, 500, 'HTTP 500'],
        [2, 503, 'HTTP 503'],
        [3, 200, null],
      ]);
      // The backoff: 0.5-1 s after the 1st failure, 1-2 s after the 2nd (plus up to a poll interval).
      const at = delivery.history.map((a) => Date.parse(a.at));
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(500);
      expect(at[1] - at[0]).toBeLessThan(2_500);
      expect(at[2] - at[1]).toBeGreaterThanOrEqual(1_000);
      expect(at[2] - at[1]).toBeLessThan(4_000);

      // The receiver saw the three attempts: the same delivery, the same bytes, each signed afresh.
      await sleep(700);
      expect(receiver.requests).toHaveLength(3);
      expect(new Set(receiver.requests.map((r) => r.headers['x-stepwise-delivery']))).toEqual(new Set([delivery.id]));
      expect(new Set(receiver.requests.map((r) => r.rawBody.toString('utf8'))).size).toBe(1);
      for (const req of receiver.requests) checkSignature(req);
      expect(bodyOf(receiver.requests[0])).toMatchObject({ id: delivery.id, taskId: task.id, event: 'task.completed' });

      // Each attempt was its own lease, taken by a live process of the cluster (any process may send a retry).
      const claims = await deliveryClaims(cluster, delivery.id);
      expect(claims.map((c) => c.attempts)).toEqual([0, 1, 2]);
      for (const claim of claims) expect(processName(cluster, claim.pid)).not.toMatch(/^gone/);
    })();
  }, 30_000);

  it('delivers what was pending when its process was SIGKILLed, after a restart of the whole cluster', async () => {
    await cluster.diagnose(async () => {
      // `/in-flight`: the 1st request is held unanswered (the attempt is in flight when its sender dies).
      // `/backoff`: 503 while the receiver is "down" (the delivery waits for its retry when everyone dies).
      let up = false;
      const held: ServerResponse[] = [];
      let heldClosed = false;
      const receiver = await startReceiver(
        new WebhookReceiver((_n, req, res) => {
          const seen = receiver.requests.filter((r) => r.path === req.url).length;
          if (req.url === '/in-flight' && seen === 1) {
            held.push(res);
            res.on('close', () => (heldClosed = true));
          } else res.writeHead(up ? 200 : 503).end();
        }),
      );
      const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);

      // 1. A delivery in flight: the receiver holds its request.
      const inFlightTask = await submitCountdown(cluster, { ticks: 2, tickMs: 20 }, receiver.url('/in-flight'));
      await waitFor(() => held.length === 1, { timeoutMs: 15_000, intervalMs: 10, what: () => 'the held request' });
      const [inFlight] = await deliveryLog(cluster, inFlightTask.id);
      expect(inFlight).toMatchObject({ status: 'pending', attempts: 0, history: [] });
      // Who owns it: the lease names a live process of the cluster.
      const [lease] = await cluster.sql<{ lease_owner: string | null; lease_expires_at: string | null }>(
        'SELECT lease_owner, lease_expires_at FROM stepwise_webhook_deliveries WHERE id = $1',
        [inFlight.id],
      );
      expect(lease.lease_owner).not.toBeNull();
      const ownerPid = Cluster.ownerPid(lease.lease_owner)!;
      const owner = processName(cluster, ownerPid);
      expect(owner).not.toMatch(/^gone/);
      const leaseExpiresAt = Number(lease.lease_expires_at);
      const workerThatRanIt = (await cluster.claims(inFlightTask.id)).map((c) => processName(cluster, c.pid));
      console.info(`delivery in flight leased by ${owner}; its countdown ran in ${workerThatRanIt.join(', ')}`);

      // 2. A delivery between attempts: failed once (503), its retry due 0.5-1 s later. Killed right
      // after that failure is recorded, well before the retry is due.
      const backoffTask = await submitCountdown(cluster, { ticks: 2, tickMs: 20 }, receiver.url('/backoff'));
      let backoff: DeliveryView | undefined;
      await waitFor(
        async () => {
          [backoff] = await deliveryLog(cluster, backoffTask.id);
          return backoff?.status === 'pending' && backoff.attempts === 1;
        },
        { timeoutMs: 15_000, intervalMs: 10, what: () => `a failed attempt; log ${JSON.stringify(backoff)}` },
      );
      // SIGKILL the owner, then every other process: nobody is left to send anything.
      const all = [...cluster.apis, ...cluster.workers];
      const ownerApp = all.find((a) => a?.pid === ownerPid)!;
      await ownerApp.kill('SIGKILL');
      await Promise.all(all.map((app) => app?.kill('SIGKILL')));
      expect(cluster.deadProcesses().sort()).toEqual(['api', 'worker 0', 'worker 1']);
      const killedAt = Date.now();
      // The attempt in flight died with its process: the receiver's connection is gone, nothing was recorded.
      await waitFor(() => heldClosed, { timeoutMs: 5_000, what: () => 'the held connection to close' });
      expect(held[0].writableEnded).toBe(false); // never answered
      expect(backoff!.history.map((a) => a.statusCode)).toEqual([503]);
      const [row] = await cluster.sql<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM stepwise_webhook_deliveries WHERE id = $1',
        [backoff!.id],
      );
      expect(row).toMatchObject({ status: 'pending' });
      const attemptsBeforeKill = Number(row.attempts);
      await sleep(300);
      expect(requestsTo('/backoff')).toHaveLength(attemptsBeforeKill);

      // The receiver recovers, the cluster comes back (new processes, new lease-owner ids).
      up = true;
      const restartedAt = Date.now();
      await cluster.startApi(0);
      await Promise.all([cluster.startWorker(0), cluster.startWorker(1)]);
      const restartMs = Date.now() - restartedAt;
      expect(cluster.deadProcesses()).toEqual([]);

      // The delivery that waited for its retry goes out as soon as a process polls again.
      const [delivered] = await settledLog(cluster, backoffTask.id, 1, 10_000);
      expect(delivered).toMatchObject({ id: backoff!.id, status: 'delivered', lastStatusCode: 200 });
      expect(delivered.attempts).toBe(attemptsBeforeKill + 1);
      expect(delivered.history.map((a) => a.statusCode)).toEqual([...Array<number>(attemptsBeforeKill).fill(503), 200]);
      expect(Date.parse(delivered.history.at(-1)!.at)).toBeGreaterThanOrEqual(restartedAt);
      const backoffRequests = requestsTo('/backoff');
      expect(backoffRequests).toHaveLength(attemptsBeforeKill + 1);
      expect(new Set(backoffRequests.map((r) => r.rawBody.toString('utf8'))).size).toBe(1);
      checkSignature(backoffRequests.at(-1)!);
      const lastClaim = (await deliveryClaims(cluster, backoff!.id)).at(-1)!;
      expect(processName(cluster, lastClaim.pid)).not.toMatch(/^gone/); // a restarted process sent it

      // The delivery whose attempt died in flight: its lease keeps every process off it until it
      // expires (never two senders at once), then a restarted process sends it again (at least once).
      const [resent] = await settledLog(cluster, inFlightTask.id, 1, Math.max(0, leaseExpiresAt - Date.now()) + 10_000);
      expect(resent).toMatchObject({ id: inFlight.id, status: 'delivered', lastStatusCode: 200 });
      // The killed attempt was never recorded: one attempt in the log, two requests at the receiver.
      expect(resent.history.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 200]]);
      const inFlightRequests = requestsTo('/in-flight');
      expect(inFlightRequests).toHaveLength(2);
      expect(inFlightRequests[1].receivedAt).toBeGreaterThanOrEqual(leaseExpiresAt);
      expect(inFlightRequests[1].rawBody.equals(inFlightRequests[0].rawBody)).toBe(true);
      expect(inFlightRequests.map((r) => r.headers['x-stepwise-delivery'])).toEqual([inFlight.id, inFlight.id]);
      checkSignature(inFlightRequests[1]);
      const inFlightClaims = await deliveryClaims(cluster, inFlight.id);
      expect(inFlightClaims.map((c) => processName(cluster, c.pid))).toEqual([
        `gone (pid ${ownerPid})`,
        expect.not.stringMatching(/^gone/),
      ]);
      console.info(
        `restart took ${restartMs} ms; backoff delivery sent ${backoffRequests.at(-1)!.receivedAt - killedAt} ms ` +
          `after the kill, in-flight one re-sent ${inFlightRequests[1].receivedAt - killedAt} ms after it ` +
          `(its lease expired ${leaseExpiresAt - killedAt} ms after the kill)`,
      );
    })();
  }, 60_000);
});

describe('webhooks without WEBHOOK_ALLOW_PRIVATE (1 api, 1 worker)', () => {
  const cluster = new Cluster({ apis: 1, workers: 1, env: { WEBHOOK_SECRET: SECRET } });
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await Promise.all([cluster.start(), receiver.start()]);
  }, 120_000);

  afterAll(async () => {
    await receiver.stop();
    await cluster.stop();
  }, 60_000);

  it('refuses a loopback callbackUrl, says why in the delivery log, and the receiver gets nothing', async () => {
    await cluster.diagnose(async () => {
      const refused: Array<{ taskId: string; reason: RegExp }> = [];

      // A literal loopback address. notify/README.md promises a 400 at submit, but TasksController
      // calls parseSubmitOptions without its CallbackPolicy, so today it is accepted (202) and the
      // dispatcher refuses it. Either way it is refused and nothing reaches the receiver.
      const literal = receiver.url('/literal');
      const res = await submitWithCallback(cluster, { ticks: 1, tickMs: 10 }, literal);
      if (res.status === 400) {
        expect(await res.json()).toMatchObject({
          statusCode: 400,
          message: expect.stringMatching(/^callbackUrl must not target 127\.0\.0\.1 \(loopback\)/),
        });
      } else {
        expect(res.status).toBe(202);
        const { id } = (await res.json()) as TaskView;
        refused.push({
          taskId: id,
          reason: /^target refused: 127\.0\.0\.1 is a loopback address; set WEBHOOK_ALLOW_PRIVATE=1/,
        });
      }

      // A host name that only DNS shows to be loopback (this machine's name, when /etc/hosts maps it
      // so): accepted at submit, refused by the dispatcher after its lookup.
      const name = hostname();
      const addresses = await lookup(name, { all: true }).catch(() => []);
      const loopback = addresses.length > 0 && addresses.every((a) => /^127\.|^::1$/.test(a.address));
      if (loopback) {
        const task = await submitCountdown(cluster, { ticks: 1, tickMs: 10 }, receiver.url('/by-name', name));
        const address = addresses[0].address.replace(/\./g, '\\.');
        refused.push({
          taskId: task.id,
          reason: new RegExp(
            `^target refused: ${name} resolves to ${address}, a loopback address; set WEBHOOK_ALLOW_PRIVATE=1`,
          ),
        });
      } else {
        console.info(`${name} does not resolve to loopback here (${JSON.stringify(addresses)}): by-name case skipped`);
      }

      for (const { taskId, reason } of refused) {
        // The task itself is not affected.
        expect((await cluster.waitForStatus(taskId, TERMINAL)).status).toBe('completed');
        const [delivery] = await settledLog(cluster, taskId);
        expect(delivery).toMatchObject({
          event: 'task.completed',
          status: 'failed',
          attempts: 1,
          lastStatusCode: null,
          nextAttemptAt: null,
          deliveredAt: null,
        });
        expect(delivery.lastError).toMatch(reason);
        expect(delivery.history).toEqual([
          {
            attempt: 1,
            at: expect.any(String),
            statusCode: null,
            error: delivery.lastError,
            durationMs: expect.any(Number),
          },
        ]);
        // Refused for good (no retry scheduled), and the process that refused it says so (its
        // warning follows the recorded result, through a pipe: wait for it).
        const warning = `webhook task.completed for task ${taskId} failed: target refused`;
        await waitFor(
          () =>
            [...cluster.apis, ...cluster.workers].some((app) => Cluster.lines(app).some((l) => l.includes(warning))),
          { timeoutMs: 5_000, what: () => `a process to log "${warning}"` },
        );
      }
      await sleep(1_500);
      expect(receiver.requests).toEqual([]);
    })();
  }, 30_000);
});
