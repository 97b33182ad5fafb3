import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Step, Task } from '../definition';
import { taskModuleOptionsFromEnv, type TaskModuleOptions } from '../core';
import { TaskModule } from '../task.module';
import { resolveOptions } from '../core/resolved-options';

@Task({ name: 'echo' })
class EchoTask {
  @Step({ order: 1 })
  run() {
    return null;
  }
}

const IDLE_MS = 300;

/** The idle timeout on a real server: silent connections are closed, slow ones that progress are not. */
describe('HTTP idle timeout', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-idle-'));
  let app: INestApplication | undefined;
  let port = 0;

  async function start(options: TaskModuleOptions): Promise<Server> {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false, ...options })],
      providers: [EchoTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
    return app.getHttpServer() as Server;
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Sends the head of a JSON submit of `length` bytes, then `body`; resolves once connected. */
  async function open(length: number, body = ''): Promise<{ socket: Socket; closed: Promise<string> }> {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /tasks/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`,
    );
    return { socket, closed };
  }

  it('closes every connection that stops mid-body once it has been silent for the idle time', async () => {
    await start({ http: { idleTimeoutMs: IDLE_MS }, realtime: { keepAliveMs: 100 } });
    const started = Date.now();
    const stalled = await Promise.all(Array.from({ length: 100 }, () => open(100, '{"half":')));
    const answers = await Promise.race([
      Promise.all(stalled.map((s) => s.closed)),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 5_000)),
    ]);
    for (const { socket } of stalled) socket.destroy();
    expect(answers).not.toBeNull();
    // Closed by the server, without an answer, not before they had been idle that long.
    expect(answers!.every((text) => text === '')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
  });

  it('keeps a slow body that keeps progressing, for many times the idle time, and answers it', async () => {
    await start({ http: { idleTimeoutMs: IDLE_MS }, realtime: { keepAliveMs: 100 } });
    const body = JSON.stringify({ note: 'x'.repeat(10) });
    const { socket, closed } = await open(Buffer.byteLength(body));
    // One byte every 100 ms: 2.2 s in all, more than seven idle periods.
    for (const char of body) {
      socket.write(char);
      await new Promise((r) => setTimeout(r, 100));
    }
    // `Connection: close`: the answer ends the connection.
    expect(await closed).toMatch(/^HTTP\/1\.1 202 /);
  });

  it('closes a kept-alive connection that waits for its next request after the idle time', async () => {
    const server = await start({ http: { idleTimeoutMs: IDLE_MS } });
    // Node's own wait between two requests (5 s) would otherwise outlast a shorter idle time.
    expect(server.keepAliveTimeout).toBe(IDLE_MS);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let closedByServer = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => (closedByServer = true));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /tasks HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedByServer).toBe(true);
  });

  it('applies 60 s by default and leaves the server alone with 0', async () => {
    const server = await start({});
    expect(server.timeout).toBe(60_000);
    expect(server.keepAliveTimeout).toBe(5_000);
    await app!.close();
    expect((await start({ http: { idleTimeoutMs: 0 } })).timeout).toBe(0);
  });

  it('refuses an idle time an SSE stream could not outlive between two keep-alives, and a bad value', () => {
    expect(() => resolveOptions({ http: { idleTimeoutMs: 10_000 }, realtime: { keepAliveMs: 15_000 } })).toThrow(
      /keepAliveMs \(15000\) must be below/,
    );
    expect(() => resolveOptions({ http: { idleTimeoutMs: -1 } })).toThrow(/idleTimeoutMs/);
    expect(() => resolveOptions({ http: { idleTimeoutMs: 1.5 } })).toThrow(/idleTimeoutMs/);
    expect(resolveOptions({ http: { idleTimeoutMs: 0 }, realtime: { keepAliveMs: 15_000 } }).http).toEqual({
      idleTimeoutMs: 0,
    });
  });

  it('derives the keep-alive from a short idle time when none is given (HTTP_IDLE_TIMEOUT_MS alone boots)', () => {
    // The environment has no variable for the keep-alive: HTTP_IDLE_TIMEOUT_MS=10000 used to refuse to boot.
    const fromEnv = resolveOptions(taskModuleOptionsFromEnv({ HTTP_IDLE_TIMEOUT_MS: '10000' }));
    expect(fromEnv.http.idleTimeoutMs).toBe(10_000);
    expect(fromEnv.realtime.keepAliveMs).toBe(5_000);
    expect(resolveOptions({ http: { idleTimeoutMs: 300 } }).realtime.keepAliveMs).toBe(150);
    expect(resolveOptions({ http: { idleTimeoutMs: 600_000 } }).realtime.keepAliveMs).toBe(15_000);
    expect(resolveOptions({ http: { idleTimeoutMs: 0 } }).realtime.keepAliveMs).toBe(15_000);
    expect(resolveOptions({}).realtime.keepAliveMs).toBe(15_000);
  });

  it('keeps an SSE stream of a quiet task open past the idle time with the derived keep-alive', async () => {
    await start({ http: { idleTimeoutMs: IDLE_MS } });
    // Due in a minute: pending and silent, its stream has nothing but keep-alives to send.
    const submitted = await fetch(`http://127.0.0.1:${port}/tasks/echo?delayMs=60000`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let closedByServer = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('end', () => (closedByServer = true));
    socket.write(`GET /tasks/${id}/events HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    // Six keep-alives span three idle times: without them the server would have closed the stream.
    const keepAlives = () => received.split(': keep-alive').length - 1;
    while (keepAlives() < 6 && !closedByServer && !socket.destroyed) await new Promise((r) => setTimeout(r, 50));
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedByServer).toBe(false);
    expect(keepAlives()).toBeGreaterThanOrEqual(6);
    socket.destroy();
    await closed;
  });
});
