import { get, type IncomingHttpHeaders } from 'node:http';
import { io } from 'socket.io-client';
import { HeaderOwnerResolver } from '../core/owner-resolver';
import { startAuthApp, type AuthApp } from '../core/testing/auth-app';
import { openSse } from '../realtime/testing/sse-client';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const alice = { 'x-owner-id': 'alice' };

/** The Access-Control-* headers of an answer. */
const corsOf = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-')));

/** Status of a Socket.IO long-polling handshake (engine.io's first GET) from `origin`, and its CORS headers. */
function pollingHandshake(port: number, origin?: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = get(
      { host: '127.0.0.1', port, path: '/socket.io/?EIO=4&transport=polling', headers: origin ? { origin } : {} },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      },
    );
    req.on('error', reject);
  });
}

/** Whether a WebSocket-only Socket.IO client sending `origin` gets connected. */
function websocketConnects(port: number, origin: string): Promise<boolean> {
  const socket = io(`http://127.0.0.1:${port}/tasks`, {
    transports: ['websocket'],
    extraHeaders: { origin, ...alice },
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve) => {
    const done = (connected: boolean) => (socket.disconnect(), resolve(connected));
    socket.on('connect', () => done(true));
    socket.on('connect_error', () => done(false));
  });
}

describe('CORS with allowed origins', () => {
  let api: AuthApp;
  let taskId: string;

  beforeAll(async () => {
    api = await startAuthApp({
      ownerResolver: new HeaderOwnerResolver(),
      cors: { origins: [APP], allowedHeaders: ['X-Owner-Id'] },
    });
    taskId = await api.finished(alice);
  });
  afterAll(() => api?.close());

  it('answers an allowed origin with its headers on REST, and lets it read Location', async () => {
    const res = await api
      .http()
      .post('/tasks/auth-note')
      .set({ ...alice, origin: APP })
      .send({});
    expect(res.status).toBe(202);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-expose-headers']).toContain('Location');
    // A held singleton key's answer says so in a header the page can read.
    expect(res.headers['access-control-expose-headers']).toContain('Singleton-Replayed');
    // So does a replayed Idempotency-Key's.
    expect(res.headers['access-control-expose-headers']).toContain('Idempotent-Replayed');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toContain('Origin');
  });

  it('answers its preflight 204 before any credential is asked, with the methods and headers', async () => {
    for (const path of [`/tasks/${taskId}`, '/tasks/auth-note', '/tasks', `/tasks/${taskId}/events`, '/schedules']) {
      const res = await api.http().options(path).set({
        origin: APP,
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'authorization,x-owner-id,content-type',
      });
      expect([path, res.status]).toEqual([path, 204]);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-methods']).toContain('DELETE');
      expect(res.headers['access-control-allow-headers']).toMatch(/Authorization.*X-Owner-Id/);
    }
  });

  it('gives another origin no CORS header, on the request or its preflight', async () => {
    const res = await api
      .http()
      .get(`/tasks/${taskId}`)
      .set({ ...alice, origin: EVIL });
    expect(res.status).toBe(200); // not refused: the browser keeps the answer from the page
    expect(corsOf(res.headers)).toEqual({});
    const preflight = await api.http().options('/tasks').set({ origin: EVIL, 'access-control-request-method': 'POST' });
    expect(corsOf(preflight.headers)).toEqual({});
    const sse = await openSse(api.port, `/tasks/${taskId}/events`, { ...alice, origin: EVIL });
    sse.close();
    expect(corsOf(sse.headers)).toEqual({});
  });

  it('serves the SSE stream to an allowed origin with its headers', async () => {
    const sse = await openSse(api.port, `/tasks/${taskId}/events`, { ...alice, origin: APP });
    sse.close();
    expect(sse.status).toBe(200);
    expect(sse.headers['access-control-allow-origin']).toBe(APP);
  });

  it('applies the same policy to tus, with the tus headers, and drops tus own any-origin answer', async () => {
    const preflight = await api.http().options('/uploads').set({
      origin: APP,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'tus-resumable,upload-length,upload-metadata,x-owner-id',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Tus-Resumable.*Upload-Length.*Upload-Metadata/s);
    const created = await api
      .http()
      .post('/uploads')
      .set({ ...alice, origin: APP, 'Tus-Resumable': '1.0.0', 'Upload-Length': '3' });
    expect(created.status).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBe(APP);
    expect(created.headers['access-control-expose-headers']).toMatch(/Location.*Upload-Offset/s);
    const other = await api
      .http()
      .head(new URL(created.headers.location as string, api.url).pathname)
      .set({ ...alice, origin: EVIL, 'Tus-Resumable': '1.0.0' });
    expect(other.status).toBe(200);
    expect(corsOf(other.headers)).toEqual({});
    const tusPreflight = await api
      .http()
      .options('/uploads')
      .set({ origin: EVIL, 'access-control-request-method': 'POST' });
    expect(corsOf(tusPreflight.headers)).toEqual({});
  });

  it('lets an allowed origin open Socket.IO, over polling with its headers and over WebSocket; refuses another', async () => {
    const allowed = await pollingHandshake(api.port, APP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    expect(await websocketConnects(api.port, APP)).toBe(true);
    const refused = await pollingHandshake(api.port, EVIL);
    expect(refused.status).toBe(403);
    expect(corsOf(refused.headers)).toEqual({});
    expect(await websocketConnects(api.port, EVIL)).toBe(false);
    // A client that is no browser sends no Origin.
    expect((await pollingHandshake(api.port)).status).toBe(200);
  });
});

describe('CORS by default: same origin only', () => {
  let api: AuthApp;

  beforeAll(async () => {
    api = await startAuthApp({});
  });
  afterAll(() => api?.close());

  it('sends no CORS header on REST, tus or Socket.IO, whatever the origin', async () => {
    const list = await api.http().get('/tasks').set({ origin: APP });
    expect([list.status, corsOf(list.headers)]).toEqual([200, {}]);
    const preflight = await api.http().options('/tasks').set({ origin: APP, 'access-control-request-method': 'POST' });
    expect(corsOf(preflight.headers)).toEqual({});
    // tus alone would answer any origin.
    const tus = await api.http().options('/uploads').set({ origin: APP, 'access-control-request-method': 'POST' });
    expect(corsOf(tus.headers)).toEqual({});
    const created = await api
      .http()
      .post('/uploads')
      .set({ origin: APP, 'Tus-Resumable': '1.0.0', 'Upload-Length': '3' });
    expect([created.status, corsOf(created.headers)]).toEqual([201, {}]);
    const polling = await pollingHandshake(api.port, APP);
    expect([polling.status, corsOf(polling.headers)]).toEqual([403, {}]);
  });

  it('lets the page of its own origin open Socket.IO, and refuses another page', async () => {
    expect(await websocketConnects(api.port, api.url)).toBe(true);
    expect((await pollingHandshake(api.port, api.url)).status).toBe(200);
    expect(await websocketConnects(api.port, APP)).toBe(false);
  });
});

describe('CORS under a routePrefix', () => {
  let api: AuthApp;

  beforeAll(async () => {
    api = await startAuthApp({ routePrefix: '/api', cors: { origins: '*' } } as never);
  });
  afterAll(() => api?.close());

  it('answers the prefixed routes', async () => {
    const res = await api.http().options('/api/tasks').set({ origin: EVIL, 'access-control-request-method': 'POST' });
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([204, '*']);
    const list = await api.http().get('/api/tasks').set({ origin: EVIL });
    expect(list.headers['access-control-allow-origin']).toBe('*');
  });
});

describe("CORS by the host's own app.enableCors()", () => {
  let api: AuthApp;

  beforeAll(async () => {
    api = await startAuthApp({}, (app) => app.enableCors({ origin: [APP] }));
  });
  afterAll(() => api?.close());

  it('still exposes X-Total-Count to the origins it allows, and nothing to others', async () => {
    const allowed = await api.http().get('/tasks').set({ origin: APP });
    expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    expect(allowed.headers['access-control-expose-headers']).toContain('X-Total-Count');
    const other = await api.http().get('/tasks').set({ origin: EVIL });
    expect(other.headers['access-control-expose-headers']).toBeUndefined();
  });
});
