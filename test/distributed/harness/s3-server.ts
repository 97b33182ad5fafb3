import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { finished, pipeline } from 'node:stream/promises';
import { CreateBucketCommand, ListMultipartUploadsCommand, ListPartsCommand, S3Client } from '@aws-sdk/client-s3';
import { lookUpBinary } from './binaries';
import { startMoto } from './moto-backend';
import { s3ErrorXml } from './s3-xml';
import { startS3rver } from './s3rver-backend';

/** One request as the server received it. */
export interface S3Request {
  method: string;
  /** Path-style: `/bucket/key`, still percent-encoded. */
  path: string;
  query: Record<string, string | string[] | undefined>;
  /** The status answered, once answered. */
  status?: number;
}

/**
 * A fault to inject into the next `times` requests that match: a delay of
 * `delayMs`, then the S3 error `code` with `status`. With a delay and no
 * status, the request then goes on (unless the client gave up meanwhile).
 */
export interface S3Fault {
  match: (request: S3Request) => boolean;
  times: number;
  delayMs?: number;
  /** Default 500, unless only a delay is asked for. */
  status?: number;
  /** Default `InternalError`. */
  code?: string;
}

/** A multipart upload started and neither completed nor aborted. */
export interface PendingMultipartUpload {
  key: string;
  uploadId: string;
}

/** The S3 server behind {@link S3Server}. */
export interface S3Backend {
  readonly name: S3ServerName;
  readonly port: number;
  /** The process serving S3 (this one for s3rver), e.g. to read its CPU time. */
  readonly pid: number;
  /** What the server keeps of unfinished uploads beyond its API (s3rver: part files on disk). */
  leftoverParts?(): Promise<string[]>;
  stop(): Promise<void>;
}

export type S3ServerName = 'moto' | 's3rver';

export interface S3ServerOptions {
  /**
   * A proxy of the harness in front of the server records every request
   * (`requests`) and injects faults (`fail`). `false` leaves it out: the
   * benchmark, whose numbers are the server's own.
   */
  proxy?: boolean;
}

/**
 * moto where `moto_server` is on PATH: it implements S3 (multipart uploads,
 * `ListParts`, paged listings) and needs no patching. Else s3rver (an npm
 * dependency, so always there) with what the harness adds to it. TEST_S3_SERVER
 * (`moto` or `s3rver`) insists on one, e.g. to run the fallback.
 */
function chooseServer(): { name: 'moto'; bin: string } | { name: 's3rver' } {
  const wanted = process.env.TEST_S3_SERVER;
  if (wanted && wanted !== 'moto' && wanted !== 's3rver') throw new Error('TEST_S3_SERVER is moto or s3rver');
  const bin = wanted === 's3rver' ? undefined : lookUpBinary('moto_server');
  if (bin) return { name: 'moto', bin };
  if (wanted === 'moto')
    throw new Error('TEST_S3_SERVER=moto, but moto_server is not on PATH (pip install "moto[server]")');
  return { name: 's3rver' };
}

/**
 * An S3-protocol server for tests, on a free loopback port, with one bucket
 * created: moto, or s3rver where moto is not installed (see {@link chooseServer}).
 * It records every request and can inject faults (see {@link S3ServerOptions}).
 */
export class S3Server {
  readonly bucket: string;
  // s3rver checks signatures against its one account; moto takes any.
  readonly accessKeyId = 'S3RVER';
  readonly secretAccessKey = 'S3RVER';
  readonly region = 'us-east-1';
  /** Which server runs the tests. */
  readonly name: S3ServerName;
  /** Every request received, in order. */
  readonly requests: S3Request[] = [];
  port = 0;
  private readonly choice: ReturnType<typeof chooseServer>;
  private backend: S3Backend | undefined;
  private client: S3Client | undefined;
  private proxy: Server | undefined;
  private agent: Agent | undefined;
  private faults: S3Fault[] = [];

  constructor(
    bucket = 'stepwise-test',
    private readonly options: S3ServerOptions = {},
  ) {
    this.bucket = bucket;
    this.choice = chooseServer();
    this.name = this.choice.name;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process serving S3 (this one for s3rver). */
  get pid(): number | undefined {
    return this.backend?.pid;
  }

  /** Connection options for `S3Storage` (and the `s3` option of `TaskModule`). */
  get storageOptions() {
    return {
      bucket: this.bucket,
      region: this.region,
      endpoint: this.endpoint,
      accessKeyId: this.accessKeyId,
      secretAccessKey: this.secretAccessKey,
      forcePathStyle: true,
    };
  }

  /** The same as environment variables of the apps. */
  get env(): Record<string, string> {
    return {
      S3_ENDPOINT: this.endpoint,
      S3_REGION: this.region,
      S3_BUCKET: this.bucket,
      S3_ACCESS_KEY_ID: this.accessKeyId,
      S3_SECRET_ACCESS_KEY: this.secretAccessKey,
      S3_FORCE_PATH_STYLE: '1',
    };
  }

  async start(): Promise<this> {
    const choice = this.choice;
    const backend = choice.name === 'moto' ? await startMoto(choice.bin) : await startS3rver(this.bucket);
    this.backend = backend;
    // The harness's own requests go straight to the server: `requests` holds the tests' only.
    this.client = new S3Client({
      region: this.region,
      endpoint: `http://127.0.0.1:${backend.port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    if (this.options.proxy === false) {
      this.port = backend.port;
      return this;
    }
    this.agent = new Agent({ keepAlive: true });
    const proxy = createServer((req, res) => void this.handle(req, res));
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    this.proxy = proxy;
    this.port = (proxy.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = undefined;
    if (proxy) {
      // Keep-alive sockets of the SDK would hold `close` open.
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
    this.agent?.destroy();
    this.client?.destroy();
    const backend = this.backend;
    this.backend = undefined;
    await backend?.stop();
  }

  /** Makes the next matching requests fail (e.g. a 503 `SlowDown`, which the SDK retries). */
  fail(fault: S3Fault): void {
    if (this.options.proxy === false) throw new Error('S3Server: faults need the proxy');
    this.faults.push(fault);
  }

  /** Forgets the faults not injected yet. */
  clearFaults(): void {
    this.faults = [];
  }

  /** Multipart uploads started and neither completed nor aborted. */
  async pendingMultipartUploads(): Promise<PendingMultipartUpload[]> {
    const out = await this.client!.send(new ListMultipartUploadsCommand({ Bucket: this.bucket }));
    return (out.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
  }

  /** Parts the server still holds for unfinished multipart uploads, as `uploadId/part`. */
  async leftoverParts(): Promise<string[]> {
    if (this.backend?.leftoverParts) return this.backend.leftoverParts();
    const parts: string[] = [];
    for (const { key, uploadId } of await this.pendingMultipartUploads()) {
      const out = await this.client!.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
      for (const part of out.Parts ?? []) parts.push(`${uploadId}/${part.PartNumber}`);
    }
    return parts;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const request: S3Request = {
      method: req.method ?? 'GET',
      path: at < 0 ? url : url.slice(0, at),
      query: at < 0 ? {} : parseQuery(url.slice(at + 1)),
    };
    this.requests.push(request);
    const fault = this.faults.find((f) => f.times > 0 && f.match(request));
    if (fault) {
      fault.times--;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (!fault.delayMs || fault.status !== undefined) {
        // Read the body first: answering early would reset a client still sending.
        req.resume();
        await finished(req).catch(() => undefined);
        const status = fault.status ?? 500;
        request.status = status;
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(s3ErrorXml(fault.code ?? 'InternalError', 'Injected by the test harness'));
        return;
      }
      // The client gave up meanwhile: as on S3, the request has no effect.
      if (req.socket.destroyed) return;
    }
    this.forward(req, res, request);
  }

  private forward(req: IncomingMessage, res: ServerResponse, request: S3Request): void {
    const upstream = httpRequest({
      host: '127.0.0.1',
      port: this.backend!.port,
      method: req.method,
      path: req.url,
      // The Host the client signed goes on: s3rver checks signatures.
      headers: endToEnd(req.headers),
      agent: this.agent,
    });
    upstream.once('response', (answer) => {
      const status = answer.statusCode ?? 502;
      request.status = status;
      const headers = endToEnd(answer.headers);
      if (status < 300 && (request.method === 'GET' || request.method === 'HEAD')) {
        for (const [param, header] of RESPONSE_OVERRIDES) {
          const value = request.query[param];
          if (typeof value === 'string' && value) headers[header] = value;
        }
      }
      res.writeHead(status, headers);
      pipeline(answer, res).catch(() => undefined); // the client went away
    });
    upstream.once('error', () => {
      if (res.headersSent) return void res.destroy();
      request.status = 502;
      res.writeHead(502).end();
    });
    req.pipe(upstream);
    // A request the client cut reaches the server cut, not complete.
    req.once('close', () => {
      if (!req.complete) upstream.destroy();
    });
  }
}

/**
 * GetObject's header overrides (what presigned downloads name their file
 * with), as S3 applies them: moto 5.2 ignores them (getmoto/moto#10036).
 */
const RESPONSE_OVERRIDES = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-type',
  'expires',
].map((header) => [`response-${header}`, header] as const);

/** Hop-by-hop headers, and `Expect`: this proxy has already answered 100 Continue. */
const NOT_FORWARDED = ['connection', 'keep-alive', 'transfer-encoding', 'expect'];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const forwarded = { ...headers };
  for (const name of NOT_FORWARDED) delete forwarded[name];
  return forwarded;
}
