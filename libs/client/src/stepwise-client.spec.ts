import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HeaderOwnerResolver, NonRetryableError, Step, Task, TaskModule, type StepContext } from '@stepwise/tasks';
import { z } from 'zod';
import { StepwiseClient, StepwiseError, type TaskEvent, type TaskHandle } from './index';

// ---------------------------------------------------------------- test tasks

/** Gates the tests open by hand: a task that waits on one ends exactly when the test says. */
const gates = new Map<string, { promise: Promise<void>; open: () => void }>();
function newGate(): string {
  const key = randomUUID();
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  gates.set(key, { promise, open });
  return key;
}
const openGate = (key: string) => gates.get(key)?.open();

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

const countdownInput = z.object({
  ticks: z.number().int().min(1).max(1000),
  tickMs: z.number().int().min(0).max(1000),
});
type CountdownInput = z.output<typeof countdownInput>;

@Task({ name: 'client-countdown', cancellable: true, input: countdownInput })
class CountdownTask {
  @Step({ order: 1, on: 'worker' })
  async countDown(ctx: StepContext<CountdownInput>) {
    for (let i = 1; i <= ctx.input.ticks; i++) {
      await abortable(new Promise((r) => setTimeout(r, ctx.input.tickMs)), ctx.signal);
      ctx.progress(i / ctx.input.ticks, `tick ${i}/${ctx.input.ticks}`);
    }
    return { ticks: ctx.input.ticks };
  }
}

const gatedInput = z.object({
  gate: z.string(),
  ticks: z.number().int().min(0).max(100).default(0),
  tickMs: z.number().int().min(0).max(1000).default(0),
});
type GatedInput = z.output<typeof gatedInput>;

/** Waits for its gate, then counts down `ticks` (progress from 0.1 to 1). */
@Task({ name: 'client-gated', cancellable: true, input: gatedInput })
class GatedTask {
  @Step({ order: 1, on: 'worker' })
  async wait(ctx: StepContext<GatedInput>) {
    const { ticks, tickMs } = ctx.input;
    const gate = gates.get(ctx.input.gate);
    if (!gate) throw new NonRetryableError(`no gate ${ctx.input.gate}`);
    ctx.progress(0.1, 'waiting for the gate');
    await abortable(gate.promise, ctx.signal);
    for (let i = 1; i <= ticks; i++) {
      await abortable(new Promise((r) => setTimeout(r, tickMs)), ctx.signal);
      ctx.progress(0.1 + (0.9 * i) / ticks, `tick ${i}/${ticks}`);
    }
    return { gate: ctx.input.gate };
  }
}

const uploaded = z.object({ key: z.string(), name: z.string(), size: z.number(), contentType: z.string() });
const bundleInput = z.object({
  title: z.string(),
  note: z.string().optional(),
  options: z.object({ upper: z.boolean(), copies: z.number().int() }),
  files: z.array(uploaded).min(1),
});
type BundleInput = z.output<typeof bundleInput>;

/** Concatenates its files (upper-cased on request) into the result file. */
@Task({ name: 'client-bundle', acceptsFiles: true, input: bundleInput })
class BundleTask {
  @Step({ order: 1, on: 'worker' })
  async concat(ctx: StepContext<BundleInput>) {
    const { storage, input } = ctx;
    async function* chunks() {
      for (const file of input.files) {
        for await (const chunk of await storage.get(file.key)) {
          const text = Buffer.from(chunk as Buffer).toString('utf8');
          yield Buffer.from(input.options.upper ? text.toUpperCase() : text);
        }
      }
    }
    const key = `${ctx.storagePrefix}output/${input.title}.txt`;
    const stored = await storage.put(key, Readable.from(chunks()), { contentType: 'text/plain' });
    ctx.setResultFile({ key, name: `${input.title}.txt`, size: stored.size, contentType: 'text/plain' });
    return {
      title: input.title,
      note: input.note,
      options: input.options,
      files: input.files.map((f) => ({ name: f.name, size: f.size, contentType: f.contentType })),
    };
  }
}

@Task({ name: 'client-boom' })
class BoomTask {
  @Step({ order: 1, on: 'worker' })
  explode(): never {
    throw new NonRetryableError('kaboom');
  }
}

/** Waits for its `decision` signal and answers it. */
@Task({ name: 'client-approval' })
class ApprovalTask {
  @Step({ order: 1, on: 'worker', signals: { decision: z.object({ approved: z.boolean() }) } })
  async decide(ctx: StepContext) {
    return ctx.waitForSignal<{ approved: boolean }>('decision');
  }
}

/** Fails for good until its fix is deployed (a test sets it): a retry after the fix completes. */
const deployedFixes = new Set<string>();

@Task({ name: 'client-flaky', input: z.object({ fix: z.string() }) })
class FlakyTask {
  @Step({ order: 1, on: 'worker' })
  prepare(): { prepared: true } {
    return { prepared: true };
  }

  @Step({ order: 2, on: 'worker' })
  finish(ctx: StepContext<{ fix: string }>): { fixed: true } {
    if (!deployedFixes.has(ctx.input.fix)) throw new NonRetryableError('not fixed yet');
    return { fixed: true };
  }
}

// ---------------------------------------------------------------- harness

/** Waits for a condition; the deadline only bounds the wait, it asserts nothing about speed. */
async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The client's socket, once connected. */
function connectedSocket(client: StepwiseClient) {
  return until(() => (client.socket?.connected ? client.socket : undefined), 'the socket to connect');
}

/** Every event of a stream, until it ends. */
async function collect(events: AsyncIterable<TaskEvent>): Promise<TaskEvent[]> {
  const seen: TaskEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

async function rejection(promise: Promise<unknown>): Promise<StepwiseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StepwiseError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const NO_POLLING = { intervalMs: Infinity, whileLiveMs: Infinity };

describe('StepwiseClient against a Stepwise app', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-client-'));
  const clients: StepwiseClient[] = [];
  let app: INestApplication;
  let baseUrl: string;

  /** A client for owner alice; polling off unless asked, so that events are what is tested. */
  function newClient(options: Partial<ConstructorParameters<typeof StepwiseClient>[0]> = {}): StepwiseClient {
    const client = new StepwiseClient({
      baseUrl,
      headers: { 'x-owner-id': 'alice' },
      poll: NO_POLLING,
      ...options,
      socket: { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 200, ...options.socket },
    });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          engine: { progressThrottleMs: 5, sweepIntervalMs: 200, concurrency: 8 },
          ownerResolver: new HeaderOwnerResolver('x-owner-id'),
        }),
      ],
      providers: [CountdownTask, GatedTask, BundleTask, BoomTask, FlakyTask, ApprovalTask],
    })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const gate of gates.values()) gate.open();
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('operations', () => {
    /** A client of its own owner: counts and bulk calls see only this test's tasks. */
    const ownClient = () => newClient({ headers: { 'x-owner-id': `ops-${randomUUID()}` } });
    const failed = async (client: StepwiseClient, fix: string) => {
      const task = await client.submit('client-flaky', { fix });
      await until(async () => (await task.status()).status === 'failed', 'the task to fail');
      return task;
    };

    it('counts the caller’s tasks by status and type', async () => {
      const client = ownClient();
      await (await client.submit('client-countdown', { ticks: 1, tickMs: 0 })).done();
      await failed(client, randomUUID());
      const stats = await client.stats();
      expect(stats).toEqual({
        total: 2,
        byStatus: { completed: 1, failed: 1 },
        byType: { 'client-countdown': { completed: 1 }, 'client-flaky': { failed: 1 } },
        oldestPendingAgeMs: null,
      });
    });

    it('retries one failed task from its failed step, then many by filter', async () => {
      const client = ownClient();
      const fix = randomUUID();
      const one = await failed(client, fix);
      const view = await one.status();
      expect(view.steps.map((s) => s.status)).toEqual(['completed', 'failed']);
      deployedFixes.add(fix);
      const reopened = await one.retry();
      expect(reopened).toMatchObject({ id: one.id, status: 'pending' });
      await expect(one.done()).resolves.toEqual({ fixed: true });
      // The completed step was kept as it was: only the failed one ran again (its attempts start over).
      const after = await one.status();
      expect(after.steps[0]).toEqual(view.steps[0]);
      expect(after.steps[1]).toMatchObject({ status: 'completed', attempts: 1 });
      await expect(one.retry()).rejects.toMatchObject({ statusCode: 409 });

      const later = randomUUID();
      const many = [await failed(client, later), await failed(client, later)];
      const other = await failed(client, randomUUID());
      deployedFixes.add(later);
      expect(await client.retryFailed({ type: 'client-flaky', finishedAfter: new Date(Date.now() - 60_000) })).toBe(3);
      for (const task of many) await expect(task.done()).resolves.toEqual({ fixed: true });
      await until(async () => (await other.status()).status === 'failed', 'the unfixed one to fail again');
      expect(await client.retryFailed({ type: 'client-countdown' })).toBe(0);
    });

    it('deletes finished tasks by filter, never an unfinished one', async () => {
      const client = ownClient();
      for (let i = 0; i < 2; i++) await (await client.submit('client-countdown', { ticks: 1, tickMs: 0 })).done();
      await failed(client, randomUUID());
      const running = await client.submit('client-countdown', { ticks: 1000, tickMs: 1000 });
      expect(await client.deleteFinished({ status: 'completed', finishedBefore: new Date(Date.now() + 1_000) })).toBe(
        2,
      );
      expect((await client.stats()).byStatus).not.toHaveProperty('completed');
      expect(await client.deleteFinished({ status: ['failed', 'cancelled'] })).toBe(1);
      await expect(client.deleteFinished({ status: 'running' as never })).rejects.toMatchObject({ statusCode: 400 });
      expect((await running.status()).status).not.toBe('completed');
      await running.cancel();
    });

    it('submits with a delay: pending with its due time, cancellable before it starts', async () => {
      const client = ownClient();
      const runAt = new Date(Date.now() + 3_600_000);
      const delayed = await client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { runAt });
      expect(await delayed.status()).toMatchObject({ status: 'pending', runAt: runAt.toISOString() });
      const later = await client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { delayMs: 60_000 });
      expect(Date.parse((await later.status()).runAt!)).toBeGreaterThan(Date.now() + 50_000);
      await delayed.cancel();
      await expect(delayed.done()).rejects.toMatchObject({ taskStatus: 'cancelled' });
      await later.cancel();
      await expect(
        client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { runAt, delayMs: 5 }),
      ).rejects.toMatchObject({ statusCode: 400 });
    });

    it('creates, lists, pauses, resumes and deletes a schedule', async () => {
      const client = ownClient();
      const created = await client.schedules.create({
        name: 'nightly',
        type: 'client-countdown',
        cron: '0 3 * * *',
        timezone: 'Europe/Paris',
        input: { ticks: 1, tickMs: 0 },
      });
      expect(created).toMatchObject({ name: 'nightly', paused: false, declared: false, missed: 'latest' });
      expect(Date.parse(created.nextRunAt!)).toBeGreaterThan(Date.now());
      expect((await client.schedules.list()).map((s) => s.name)).toEqual(['nightly']);
      expect(await client.schedules.pause('nightly')).toMatchObject({ paused: true, nextRunAt: null });
      expect((await client.schedules.resume('nightly')).paused).toBe(false);
      await expect(
        client.schedules.create({
          name: 'nightly',
          type: 'client-countdown',
          cron: '0 4 * * *',
          input: { ticks: 1, tickMs: 0 },
        }),
      ).rejects.toMatchObject({ statusCode: 409 });
      const invalid = await rejection(
        client.schedules.create({ name: 'bad', type: 'client-countdown', cron: '61 * * * *' }),
      );
      expect(invalid.statusCode).toBe(400);
      expect(invalid.details).toEqual([expect.objectContaining({ field: 'cron' })]);
      await client.schedules.delete('nightly');
      await expect(client.schedules.get('nightly')).rejects.toMatchObject({ statusCode: 404 });
      expect(await client.schedules.list()).toEqual([]);
    });
  });

  describe('REST', () => {
    it('submits JSON, and done() resolves with the output', async () => {
      const client = newClient({ poll: undefined });
      const task = await client.submit('client-countdown', { ticks: 3, tickMs: 5 });
      expect(task.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(task.submission).toEqual({
        task: expect.objectContaining({ id: task.id, type: 'client-countdown' }),
        replayed: false,
        singletonReplayed: false,
      });

      await expect(task.done()).resolves.toEqual({ ticks: 3 });

      const view = await task.status();
      expect(view).toMatchObject({ id: task.id, status: 'completed', progress: 1 });
      await expect(task.result()).resolves.toMatchObject({ id: task.id, status: 'completed', output: { ticks: 3 } });
      // Another handle on the same id.
      await expect(client.task(task.id).done()).resolves.toEqual({ ticks: 3 });
    });

    it('answers a held singleton key with the task that holds it, or a 409 when asked', async () => {
      const client = newClient();
      const singletonKey = `one-${randomUUID()}`;
      const first = await client.submit('client-countdown', { ticks: 100, tickMs: 1000 }, { singletonKey });
      expect(first.submission?.singletonReplayed).toBe(false);
      const again = await client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { singletonKey });
      expect(again.id).toBe(first.id);
      expect(again.submission).toMatchObject({ replayed: false, singletonReplayed: true });
      await expect(
        client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { singletonKey, singleton: 'conflict' }),
      ).rejects.toMatchObject({ statusCode: 409 });
      await first.cancel();
    });

    it('replays an idempotent submit, lists with the total, deletes', async () => {
      const client = newClient();
      const key = `key-${randomUUID()}`;
      const first = await client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { idempotencyKey: key });
      const again = await client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { idempotencyKey: key });
      expect(again.id).toBe(first.id);
      expect(again.submission?.replayed).toBe(true);

      const page = await client.list({ type: 'client-countdown', limit: 1 });
      expect(page.items).toHaveLength(1);
      expect(page.total).toBeGreaterThanOrEqual(1);
      expect(page.nextCursor === null || typeof page.nextCursor === 'string').toBe(true);

      await first.done();
      await first.delete();
      expect((await rejection(first.status())).statusCode).toBe(404);
    });

    it('turns every error answer into a StepwiseError with the contract body', async () => {
      const client = newClient();
      const invalid = await rejection(client.submit('client-countdown', { ticks: 0, tickMs: 5 }));
      expect(invalid).toMatchObject({ name: 'StepwiseError', statusCode: 400, error: 'Bad Request' });
      expect(invalid.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'ticks' })]));
      expect(invalid.method).toBe('POST');

      const unknownType = await rejection(client.submit('no-such-type', {}));
      expect(unknownType.statusCode).toBe(404);
      expect(typeof unknownType.message).toBe('string');

      const missing = await rejection(client.task(randomUUID()).result());
      expect(missing).toMatchObject({ statusCode: 404, error: 'Not Found' });

      // Files for a type that takes none: 415.
      const files = [{ name: 'a.txt', data: new TextEncoder().encode('a') }];
      expect((await rejection(client.submit('client-countdown', { ticks: 1, tickMs: 0 }, { files }))).statusCode).toBe(
        415,
      );

      // Before completion, the result is a 409 that says how far the task is.
      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      const early = await rejection(task.result());
      expect(early.statusCode).toBe(409);
      expect(['pending', 'running']).toContain(early.taskStatus);
      openGate(gate);
      await expect(task.done()).resolves.toEqual({ gate });
    });

    it('does not wrap network failures', async () => {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((r) => server.close(() => r()));
      const client = new StepwiseClient({ baseUrl: `http://127.0.0.1:${port}` });
      const error = await client
        .task(randomUUID())
        .status()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      // What fetch threw (a TypeError from undici, of another realm under Jest), not a StepwiseError.
      expect((error as Error).name).toBe('TypeError');
      expect(StepwiseError.is(error)).toBe(false);
    });

    it('scopes by owner through the client headers, on REST and on the socket', async () => {
      const alice = newClient();
      const bob = newClient({ headers: { 'x-owner-id': 'bob' } });
      const task = await alice.submit('client-countdown', { ticks: 1, tickMs: 0 });
      await task.done();
      expect((await rejection(bob.task(task.id).status())).statusCode).toBe(404);
      // Bob's subscription is refused like an unknown task; done() gives up on that answer.
      expect((await rejection(bob.task(task.id).events().next())).statusCode).toBe(404);
      expect((await rejection(bob.task(task.id).done())).statusCode).toBe(404);
    });
  });

  describe('files', () => {
    it('submits multipart (bytes, Blob, stream) with nested input, and download() returns the bytes', async () => {
      const client = newClient();
      const task = await client.submit(
        'client-bundle',
        { title: 'greetings', note: 'two\nlines', options: { upper: false, copies: 2 } },
        {
          files: [
            { name: 'a.txt', data: new TextEncoder().encode('hello '), contentType: 'text/plain' },
            { name: 'b.txt', data: new Blob(['wide '], { type: 'text/markdown' }) },
            { name: 'c.txt', data: Readable.from([Buffer.from('wor'), Buffer.from('ld')]) },
          ],
        },
      );
      const output = await task.done<Record<string, unknown>>();
      expect(output).toEqual({
        title: 'greetings',
        // A line break survives: it travels in the JSON `input` field, not as a text part.
        note: 'two\nlines',
        options: { upper: false, copies: 2 },
        files: [
          { name: 'a.txt', size: 6, contentType: 'text/plain' },
          { name: 'b.txt', size: 5, contentType: 'text/markdown' },
          { name: 'c.txt', size: 5, contentType: 'application/octet-stream' },
        ],
      });

      const download = await task.download();
      expect(download.status).toBe(200);
      expect(download.headers.get('content-disposition')).toContain('greetings.txt');
      expect(await download.text()).toBe('hello wide world');

      const range = await task.download({ range: 'bytes=0-4' });
      expect(range.status).toBe(206);
      expect(await range.text()).toBe('hello');

      const result = await task.result();
      expect(result.file).toMatchObject({ name: 'greetings.txt', size: 16 });
    });

    it('streams a web ReadableStream body', async () => {
      const client = newClient();
      const chunks = ['stream', 'ed ', 'body'];
      const data = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      });
      const task = await client.submit(
        'client-bundle',
        { title: 'web', options: { upper: true, copies: 1 } },
        { files: [{ name: 'w.txt', data, contentType: 'text/plain' }] },
      );
      await task.done();
      expect(await (await task.download()).text()).toBe('STREAMED BODY');
    });

    it('reports a download before completion as a StepwiseError', async () => {
      const client = newClient();
      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      expect((await rejection(task.download())).statusCode).toBe(409);
      openGate(gate);
      await task.done();
    });
  });

  describe('signals', () => {
    it('signal() wakes a waiting task with its payload; a bad payload is a 400, an ended task a 409', async () => {
      const client = newClient();
      const task = await client.submit('client-approval', {});
      await until(async () => (await task.status()).status === 'waiting', 'the task to wait');
      expect((await task.status()).waitingFor).toBe('signal:decision');
      expect((await rejection(client.signal(task.id, 'decision', { approved: 'yes' }))).statusCode).toBe(400);
      expect((await rejection(task.signal('unknown', {}))).statusCode).toBe(400);
      const view = await client.signal(task.id, 'decision', { approved: true });
      expect(view.id).toBe(task.id);
      await expect(task.done()).resolves.toEqual({ approved: true });
      expect((await rejection(task.signal('decision', { approved: false }))).statusCode).toBe(409);
    });
  });

  describe('failure and cancellation', () => {
    it('rejects done() with the task error when the task fails', async () => {
      const client = newClient();
      const task = await client.submit('client-boom', {});
      const error = await rejection(task.done());
      expect(error).toMatchObject({ statusCode: 409, taskStatus: 'failed' });
      expect(error.taskError).toMatchObject({ message: 'kaboom' });
      expect(error.message).toContain('kaboom');
    });

    it('rejects done() with status cancelled after cancel()', async () => {
      const client = newClient();
      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      const done = task.done();
      // Cancel once the step runs, so that its abort is what ends it.
      await until(async () => (await task.status()).status === 'running', 'the step to run');
      const view = await task.cancel();
      expect(view.id).toBe(task.id);
      const error = await rejection(done);
      expect(error).toMatchObject({ statusCode: 409, taskStatus: 'cancelled' });
      expect(error.message).toContain('cancelled');
      // Cancelling again: a 409, the task already ended.
      expect((await rejection(task.cancel())).statusCode).toBe(409);
    });

    it('rejects done() on an unknown task, and stops waiting on abort', async () => {
      const client = newClient();
      expect((await rejection(client.task(randomUUID()).done())).statusCode).toBe(404);

      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      const controller = new AbortController();
      const waiting = task.done({ signal: controller.signal });
      controller.abort(new Error('stop waiting'));
      await expect(waiting).rejects.toThrow('stop waiting');
      openGate(gate);
      await task.done();
    });
  });

  describe('events()', () => {
    it('yields progress monotonically and ends after the terminal event', async () => {
      const client = newClient();
      const gate = newGate();
      const task = await client.submit('client-gated', { gate, ticks: 8, tickMs: 30 });
      const stream = task.events();
      const snapshot = await stream.subscribed();
      expect(snapshot).toMatchObject({ id: task.id, type: 'client-gated' });
      // Subscribed before the countdown starts: its progress events are all sent to us.
      const collecting = collect(stream);
      openGate(gate);
      const events = await collecting;

      const last = events[events.length - 1];
      expect(last).toMatchObject({
        taskId: task.id,
        event: 'task.completed',
        type: 'client-gated',
        status: 'completed',
      });
      expect(last.synthetic).toBeUndefined();
      expect(events.filter((e) => e.event === 'task.completed')).toHaveLength(1);
      expect(events.filter((e) => e.event === 'task.progress').length).toBeGreaterThan(0);
      const progress = events.map((e) => e.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress[progress.length - 1]).toBe(1);
      // No duplicates by seq.
      const seqs = events.flatMap((e) => (typeof e.seq === 'number' ? [e.seq] : []));
      expect(new Set(seqs).size).toBe(seqs.length);
      for (const e of events) expect(typeof e.at).toBe('string');
      // Ended: nothing more, ever.
      await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
    });

    it('ends at once, with one synthetic terminal event, on a task already finished', async () => {
      const client = newClient();
      const task = await client.submit('client-countdown', { ticks: 1, tickMs: 0 });
      await task.done();
      const fresh = newClient();
      const events = await collect(fresh.task(task.id).events());
      expect(events).toEqual([
        expect.objectContaining({ taskId: task.id, event: 'task.completed', status: 'completed', synthetic: true }),
      ]);

      const boom = await client.submit('client-boom', {});
      await rejection(boom.done());
      const failed = await collect(client.task(boom.id).events());
      expect(failed).toEqual([expect.objectContaining({ event: 'task.failed', status: 'failed', synthetic: true })]);
    });

    it('serves two streams of one task, and return() ends only its own', async () => {
      const client = newClient();
      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      const first = task.events();
      const second = task.events();
      const pending = first.next();
      const rest = collect(second);
      await first.return?.();
      await expect(pending).resolves.toEqual({ value: undefined, done: true });
      await expect(first.next()).resolves.toEqual({ value: undefined, done: true });
      openGate(gate);
      const seen = await rest;
      expect(seen[seen.length - 1]).toMatchObject({ event: 'task.completed' });
    });

    it('ends streams and rejects done() on close()', async () => {
      const client = newClient();
      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      const stream = task.events();
      const next = stream.next();
      const done = task.done();
      await connectedSocket(client);
      client.close();
      await expect(next).resolves.toMatchObject({ done: expect.any(Boolean) });
      await expect(done).rejects.toThrow('closed');
      expect(client.socket).toBeUndefined();
      await expect(task.status()).resolves.toMatchObject({ id: task.id });
      openGate(gate);
    });
  });

  describe('reconnection', () => {
    it('resubscribes after the engine drops, and done() still resolves', async () => {
      const client = newClient();
      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      const done = task.done<{ gate: string }>();
      const socket = await connectedSocket(client);
      // Live: the subscription was acknowledged (the running step reported progress).
      await until(async () => (await task.status()).status === 'running', 'the step to run');
      const reconnected = new Promise<void>((resolve) => socket.io.once('reconnect', () => resolve()));

      socket.io.engine.close();
      await reconnected;
      openGate(gate);

      await expect(done).resolves.toEqual({ gate });
    });

    it('tells done() of a completion that happened while disconnected, from the new snapshot', async () => {
      const client = newClient();
      const gate = newGate();
      const task = await client.submit('client-gated', { gate });
      const done = task.done<{ gate: string }>();
      const events = collect(task.events());
      const socket = await connectedSocket(client);
      await until(async () => (await task.status()).status === 'running', 'the step to run');

      // Hold the reconnection back until the task has finished.
      socket.io.reconnection(false);
      const disconnected = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
      socket.io.engine.close();
      await disconnected;
      openGate(gate);
      await until(async () => (await task.status()).status === 'completed', 'the task to complete');
      expect(socket.connected).toBe(false);

      socket.io.reconnection(true);
      socket.connect();
      await expect(done).resolves.toEqual({ gate });
      const seen = await events;
      expect(seen[seen.length - 1]).toMatchObject({ event: 'task.completed', synthetic: true });
    });

    it('falls back to polling when there is no Socket.IO server at all', async () => {
      const bare: Server = createServer((req, res) => {
        res.statusCode = 404;
        res.end();
      });
      await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
      const client = newClient({
        poll: { intervalMs: 50 },
        socket: { url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}` },
      });
      try {
        const task: TaskHandle = await client.submit('client-countdown', { ticks: 2, tickMs: 5 });
        await expect(task.done()).resolves.toEqual({ ticks: 2 });
      } finally {
        client.close();
        await new Promise<void>((r) => bare.close(() => r()));
      }
    });
  });
});
