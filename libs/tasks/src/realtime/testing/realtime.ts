/**
 * Shared by the realtime specs: test tasks (a gated countdown and a progress
 * burst), a real Nest app on an ephemeral port, and small clients (Socket.IO
 * event recorder, SSE reader) that wait with deadlines, never with sleeps.
 */
import type { AddressInfo } from 'node:net';
import { Module, UnauthorizedException, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import request from 'supertest';
import { z } from 'zod';
import { Step, Task, type StepContext } from '../../definition';
import { HeaderOwnerResolver, type OwnerRequest, type TaskModuleOptions } from '../../core';
import { TaskModule } from '../../task.module';
import type { SseResponse } from './sse-client';

export * from './sse-client';

// ---------------------------------------------------------------- gates

const gates = new Map<string, { promise: Promise<void>; open: () => void }>();

function gate(name: string): { promise: Promise<void>; open: () => void } {
  let entry = gates.get(name);
  if (!entry) {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    entry = { promise, open };
    gates.set(name, entry);
  }
  return entry;
}

/** Lets the tasks waiting on `name` go on. */
export function openGate(name: string): void {
  gate(name).open();
}

function waitGate(name: string | undefined, signal: AbortSignal): Promise<void> {
  if (!name) return Promise.resolve();
  return abortable(gate(name).promise, signal);
}

const sleep = (ms: number, signal: AbortSignal) =>
  abortable(new Promise<void>((resolve) => setTimeout(resolve, ms)), signal);

/** Settles with `promise`, or rejects as soon as `signal` aborts; leaves no listener behind. */
function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

// ---------------------------------------------------------------- test tasks

const countdownInput = z.object({
  ticks: z.number().int().min(1).max(1000),
  tickMs: z.number().int().min(0).max(1000),
  gate: z.string().optional(),
});
type CountdownInput = z.output<typeof countdownInput>;

/** Like the example `countdown`, with a first step that waits for the test to open its gate. */
@Task({ name: 'rt-countdown', input: countdownInput })
export class RtCountdownTask {
  @Step({ order: 1 })
  async hold(ctx: StepContext<CountdownInput>) {
    await waitGate(ctx.input.gate, ctx.signal);
    return {};
  }

  @Step({ order: 2 })
  async countDown(ctx: StepContext<CountdownInput>) {
    const { ticks, tickMs } = ctx.input;
    for (let i = 1; i <= ticks; i++) {
      await sleep(tickMs, ctx.signal);
      ctx.progress(i / ticks, `tick ${i}/${ticks}`);
    }
    return { ticks };
  }
}

const burstInput = z.object({ reports: z.number().int().min(1).max(100_000), gate: z.string().optional() });
type BurstInput = z.output<typeof burstInput>;

/** Reports progress as fast as it can, yielding to the event loop every few reports. */
@Task({ name: 'rt-burst', input: burstInput })
export class RtBurstTask {
  @Step({ order: 1 })
  async hold(ctx: StepContext<BurstInput>) {
    await waitGate(ctx.input.gate, ctx.signal);
    return {};
  }

  @Step({ order: 2 })
  async burst(ctx: StepContext<BurstInput>) {
    const { reports } = ctx.input;
    for (let i = 1; i <= reports; i++) {
      ctx.progress(i / reports, `report ${i}`);
      if (i % 3 === 0) await sleep(1, ctx.signal);
    }
    return { reports };
  }
}

/** `x-owner-id`, and a refusal when the handshake carries `x-reject`. */
export class TestOwnerResolver extends HeaderOwnerResolver {
  override resolve(request: OwnerRequest): string {
    if (request.headers['x-reject']) throw new UnauthorizedException('rejected by the test resolver');
    return super.resolve(request);
  }
}

// ---------------------------------------------------------------- app

export interface TestApp {
  app: INestApplication;
  port: number;
  submit(type: string, input: unknown, owner: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApp(dataDir: string, options: TaskModuleOptions = {}): Promise<TestApp> {
  @Module({
    imports: [
      TaskModule.forRoot({
        dataDir,
        engine: { progressThrottleMs: 5, sweepIntervalMs: 200 },
        ownerResolver: new TestOwnerResolver('x-owner-id'),
        ...options,
        realtime: { progressThrottleMs: 20, ...options.realtime },
      }),
    ],
    providers: [RtCountdownTask, RtBurstTask],
  })
  class RealtimeTestModule {}

  const moduleRef = await Test.createTestingModule({ imports: [RealtimeTestModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    app,
    port,
    async submit(type, input, owner) {
      const res = await request(app.getHttpServer())
        .post(`/tasks/${type}`)
        .set('x-owner-id', owner)
        .send(input as object);
      if (res.status !== 202) throw new Error(`submit ${type}: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { id: string }).id;
    },
    close: () => app.close(),
  };
}

// ---------------------------------------------------------------- waiting

/** Resolves when `check` returns a value other than undefined; polls, fails with `describe()` at the deadline. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  describe: () => string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// ---------------------------------------------------------------- Socket.IO client

export interface Received {
  event: string;
  payload: Record<string, unknown>;
}

export interface RecordingSocket {
  socket: ClientSocket;
  received: Received[];
  /** Events of one task, in arrival order. */
  of(taskId: string): Received[];
  /** Waits until an event matches. */
  until(match: (r: Received) => boolean, label: string, timeoutMs?: number): Promise<Received>;
  ack<T = Record<string, unknown>>(event: string, body: unknown): Promise<T>;
  close(): void;
}

export function openSocket(port: number, headers: Record<string, string>, path?: string): RecordingSocket {
  const socket = io(`http://127.0.0.1:${port}/tasks`, {
    extraHeaders: headers,
    reconnection: false,
    forceNew: true,
    ...(path ? { path } : {}),
  });
  const received: Received[] = [];
  socket.onAny((event: string, payload: Record<string, unknown>) => received.push({ event, payload }));
  const recorder: RecordingSocket = {
    socket,
    received,
    of: (taskId) => received.filter((r) => r.payload?.taskId === taskId),
    until: (match, label, timeoutMs = 10_000) =>
      eventually(
        () => received.find(match),
        () => `${label}; received ${JSON.stringify(received.map((r) => [r.event, r.payload?.progress]))}`,
        timeoutMs,
      ),
    ack: <T>(event: string, body: unknown) => socket.timeout(5_000).emitWithAck(event, body) as Promise<T>,
    close: () => void socket.disconnect(),
  };
  return recorder;
}

/** Connected, or rejects with the connect error. */
export async function connected(recorder: RecordingSocket): Promise<RecordingSocket> {
  const { socket } = recorder;
  if (socket.connected) return recorder;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connection within 5 s')), 5_000);
    socket.once('connect', () => (clearTimeout(timer), resolve()));
    socket.once('connect_error', (error) => (clearTimeout(timer), reject(error)));
  });
  return recorder;
}

// ---------------------------------------------------------------- SSE client

/** Waits for the end of a response, failing after `timeoutMs`. */
export async function ends(response: SseResponse, timeoutMs = 10_000): Promise<void> {
  await eventually(
    () => (response.isEnded() ? true : undefined),
    () => `stream still open; got ${response.messages.map((m) => `${m.id}:${m.event}`).join(', ')}`,
    timeoutMs,
  );
}
