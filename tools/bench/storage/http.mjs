// The storage suite's data and HTTP: pseudo-random inputs, multipart submits,
// task views.
import { createCipheriv, createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sleep } from '../lib/util.mjs';

/** `size` deterministic pseudo-random bytes (AES-256-CTR of zeros keyed by `seed`), in 64 KiB chunks. */
export function pseudoRandom(size, seed) {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * 1024);
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(zeros.length, size - produced);
      produced += n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

export async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A buffer as a stream of 64 KiB slices (no copy), as a socket would deliver it. */
export function slices(buffer) {
  return Readable.from(
    (function* () {
      for (let i = 0; i < buffer.length; i += 65536) yield buffer.subarray(i, i + 65536);
    })(),
    { objectMode: false },
  );
}

/**
 * POSTs multipart/form-data with an exact Content-Length: the text fields,
 * then one `files` part per file, each body streamed from `file.body()`.
 */
export async function postMultipart(port, path, fields, files, agent) {
  const boundary = `----stepwise-bench-${Math.random().toString(16).slice(2)}`;
  const fieldText = Object.entries(fields)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('');
  const heads = files.map(
    (f, i) =>
      `${i > 0 ? '\r\n' : ''}--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\n` +
      `Content-Type: ${f.contentType ?? 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = `\r\n--${boundary}--\r\n`;
  const length =
    Buffer.byteLength(fieldText) +
    heads.reduce((n, h) => n + Buffer.byteLength(h), 0) +
    files.reduce((n, f) => n + f.size, 0) +
    Buffer.byteLength(tail);
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
  });
  const answered = new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  async function* body() {
    yield Buffer.from(fieldText);
    for (const [i, file] of files.entries()) {
      yield Buffer.from(heads[i]);
      yield* file.body();
    }
    yield Buffer.from(tail);
  }
  // An early answer (an error) may cut the upload: the answer is what counts.
  const sent = pipeline(Readable.from(body(), { objectMode: false }), req).catch((error) => error);
  const res = await answered;
  const text = (await readAll(res)).toString('utf8');
  await sent;
  return { status: res.statusCode, body: text };
}

export async function getJson(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(15_000) });
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

export async function waitTask(port, id, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await getJson(port, `/tasks/${id}`);
    if (done(view)) return view;
    if (['failed', 'cancelled'].includes(view.status))
      throw new Error(`task ${id} ${view.status}: ${JSON.stringify(view)}`);
    if (Date.now() > deadline) throw new Error(`task ${id} stuck after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await sleep(100);
  }
}
