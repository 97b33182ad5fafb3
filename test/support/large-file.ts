import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as yauzl from 'yauzl';

// Helpers of the large-file specs (test/e2e and test/distributed): streams of any size, never buffers.

/** The fields of a task view these specs read. */
export interface TaskView {
  id: string;
  status: string;
  steps: Array<{ name: string; status: string }>;
  error: unknown;
}

/** A deterministic pseudo-random stream (AES-256-CTR of zeros, keyed by `seed`), hashed as it is read. */
export function pseudoRandom(size: number, seed: string): Readable & { sha256: () => string; bytes: () => number } {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(64 * 1024);
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(zeros.length, size - produced);
      produced += n;
      const chunk = cipher.update(zeros.subarray(0, n));
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return Object.assign(stream, { sha256: () => hash.copy().digest('hex'), bytes: () => produced });
}

/** POSTs multipart/form-data: the text fields, then one file part streamed from `file`, with an exact Content-Length. */
export async function postMultipart(
  port: number,
  path: string,
  fields: Record<string, string>,
  fileName: string,
  fileSize: number,
  file: Readable,
): Promise<{ status: number; body: string }> {
  const boundary = `----stepwise${Date.now().toString(16)}`;
  const head =
    Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${fileName}"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + fileSize + Buffer.byteLength(tail);
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  async function* body() {
    yield Buffer.from(head);
    yield* file;
    yield Buffer.from(tail);
  }
  await pipeline(Readable.from(body(), { objectMode: false }), req);
  const res = await answered;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
}

export function get(port: number, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, resolve);
    req.once('error', reject);
    req.end();
  });
}

export async function waitForTerminal(port: number, id: string, timeoutMs: number): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await (await fetch(`http://127.0.0.1:${port}/tasks/${id}`)).json()) as TaskView;
    if (['completed', 'failed', 'cancelled'].includes(view.status)) return view;
    if (Date.now() > deadline)
      throw new Error(`task ${id} not finished after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Name, size and SHA-256 of every entry, each streamed out of the ZIP by yauzl. */
export async function unzipHashes(path: string): Promise<Array<{ name: string; size: number; sha256: string }>> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const out: Array<{ name: string; size: number; sha256: string }> = [];
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        zip.once('entry', resolve);
        zip.once('end', () => resolve(null));
        zip.once('error', reject);
        zip.readEntry();
      });
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      if (!entry) break;
      const stream = await zip.openReadStreamPromise(entry);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      expect(size).toBe(entry.uncompressedSize);
      out.push({ name: entry.fileName, size, sha256: hash.digest('hex') });
    }
  } finally {
    zip.close();
  }
  return out;
}

/** Peak resident set size of a process (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(match[1]) * 1024;
}

export function tap(see: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      see(chunk);
      done(null, chunk);
    },
  });
}

/** GETs `path` into the file `to`, streamed, hashing it on the way: the answer, its size and SHA-256. */
export async function download(
  port: number,
  path: string,
  to: string,
): Promise<{ res: IncomingMessage; bytes: number; sha256: string }> {
  const res = await get(port, path);
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    res,
    tap((chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
    }),
    createWriteStream(to),
  );
  return { res, bytes, sha256: hash.digest('hex') };
}
