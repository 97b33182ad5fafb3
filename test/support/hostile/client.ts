import { existsSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket as NetSocket } from 'node:net';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';

/** The app under attack: a built api process (embedded, or distributed on PostgreSQL and Redis). */
export interface HostileTarget {
  port: number;
  /** The app's DATA_DIR: stored files live under `objects/` (tus uploads under `objects/uploads/`). */
  dataDir: string;
  /** HTTP_IDLE_TIMEOUT_MS the app runs with: stalled clients must be let go after it. */
  idleTimeoutMs: number;
  /** Whether every process of the app still runs. */
  alive(): boolean;
  /** What the api process logged so far. */
  output(): string;
}

/** An HTTP answer, read to its end. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a raw socket got back: the status of the first answer (null: none) and everything received. */
export interface RawAnswer {
  status: number | null;
  text: string;
  /** The server closed the connection (rather than the client giving up). */
  closedByServer: boolean;
}

export interface HttpRequest {
  method: string;
  /** Sent as is: no normalisation of `..`, no re-encoding. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** For streams (SSE): resolve once the head and the first chunk are in, then hang up. */
  firstChunkOnly?: boolean;
}

/** Longest any single exchange may take before it counts as a hang. */
export const HANG_MS = 15_000;

/**
 * The barrage's client: every exchange with the app goes through it and is
 * counted (an HTTP request, a raw request on a socket, a Socket.IO emit), so
 * the suite can assert how much it sent and cannot shrink silently.
 * Exchanges are bounded: one that gets no answer within {@link HANG_MS} fails
 * as a hang.
 */
export class HostileClient {
  /** Hostile exchanges sent so far (set-up and clean-up requests are not counted). */
  sent = 0;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: () => HostileTarget) {}

  get port(): number {
    return this.target().port;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A counted HTTP request, on its own connection, with the path exactly as given. */
  request(init: HttpRequest): Promise<Answer> {
    this.sent++;
    return this.exchange(init);
  }

  /** An uncounted request: set-up, clean-up and checks. */
  helper(init: HttpRequest): Promise<Answer> {
    return this.exchange(init);
  }

  /** JSON of an uncounted request that must answer `status`. */
  async helperJson<T>(init: HttpRequest, status: number): Promise<T> {
    const answer = await this.exchange(init);
    if (answer.status !== status) {
      throw new Error(`${init.method} ${init.path}: expected ${status}, got ${answer.status} ${answer.body}`);
    }
    return JSON.parse(answer.body) as T;
  }

  private exchange(init: HttpRequest): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method: init.method,
          path: init.path,
          headers: init.headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          const done = () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
          const stream = /^text\/event-stream/.test(res.headers['content-type'] ?? '');
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            if (init.firstChunkOnly && stream) {
              done();
              req.destroy();
            }
          });
          res.on('end', done);
          res.on('error', (error) => (init.firstChunkOnly ? done() : reject(error)));
        },
      );
      req.setTimeout(HANG_MS, () =>
        req.destroy(new Error(`no answer to ${init.method} ${init.path.slice(0, 80)} in ${HANG_MS} ms`)),
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /**
   * Raw bytes on a fresh connection (what an HTTP client library would
   * refuse to send), counted as one request. Resolves when the server
   * closes the connection, or after `waitMs` (then hangs up itself).
   */
  raw(bytes: string | Buffer, waitMs = HANG_MS): Promise<RawAnswer> {
    this.sent++;
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      let closedByServer = false;
      const timer = setTimeout(() => socket.destroy(), waitMs);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => (closedByServer = true));
      socket.on('error', () => (closedByServer = true));
      socket.on('close', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('latin1');
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
        resolve({ status: status ? Number(status) : null, text, closedByServer });
      });
      socket.on('connect', () => socket.write(bytes));
    });
  }

  /** An open connection (counted when it sends something, by the caller through {@link count}). */
  open(): Promise<OpenConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new OpenConnection(socket));
      });
    });
  }

  /** Counts exchanges made without the helpers above (Socket.IO emits, bytes on an open connection). */
  count(n = 1): void {
    this.sent += n;
  }

  /** A Socket.IO client of namespace `nsp` over WebSocket, connected (or refused: see `connected`). */
  async socket(nsp = '/tasks'): Promise<Socket> {
    const socket = io(`${this.baseUrl}${nsp}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.sockets.add(socket);
    this.sent++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, HANG_MS);
      const settle = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.once('connect', settle);
      socket.once('connect_error', settle);
    });
    return socket;
  }

  /** A counted `emitWithAck`; resolves to the ack, or to `'no ack'` when the connection went first. */
  async emit(socket: Socket, event: string, ...args: unknown[]): Promise<unknown> {
    this.sent++;
    if (!socket.connected) return 'no ack';
    return await new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => resolve('no ack'), HANG_MS);
      const gone = () => {
        clearTimeout(timer);
        resolve('no ack');
      };
      socket.once('disconnect', gone);
      socket.emit(event, ...args, (ack: unknown) => {
        clearTimeout(timer);
        socket.off('disconnect', gone);
        resolve(ack);
      });
    });
  }

  closeSockets(): void {
    for (const socket of this.sockets) socket.close();
    this.sockets.clear();
  }
}

/** A connection driven by hand: slow clients, stalled bodies. */
export class OpenConnection {
  readonly closed: Promise<void>;
  received = '';
  closedByServer = false;

  constructor(readonly socket: NetSocket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (this.received += chunk));
    socket.on('end', () => (this.closedByServer = true));
    socket.on('error', () => (this.closedByServer = true));
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  write(bytes: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Waits for the server to close the connection, at most `boundMs` (then the client closes it). */
  async closedWithin(boundMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'bound'>((resolve) => (timer = setTimeout(() => resolve('bound'), boundMs)));
    const result = await Promise.race([this.closed.then(() => 'closed' as const), bound]);
    clearTimeout(timer);
    if (result === 'bound') {
      this.socket.destroy();
      return false;
    }
    return this.closedByServer;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * The files under the data directory's `objects/` (the stored files and the
 * tus staging area), relative to it, sorted. The database files are not
 * files the barrage could leave.
 */
export function storedFiles(dataDir: string): string[] {
  const root = join(dataDir, 'objects');
  const found: string[] = [];
  const walk = (path: string) => {
    let entries: string[];
    try {
      entries = existsSync(path) ? readdirSync(path) : [];
    } catch {
      return; // removed meanwhile
    }
    for (const entry of entries) {
      const full = join(path, entry);
      // Gone between the listing and now (a cleanup running): not there.
      const stat = statSync(full, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(full);
      else if (stat) found.push(full.slice(root.length + 1));
    }
  };
  walk(root);
  return found.sort();
}
