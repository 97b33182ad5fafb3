import type { RequestBody } from './http';
import type { FileInput } from './types';

/** The multipart field whose JSON object the server merges into the input. */
export const INPUT_FIELD = 'input';
/** The multipart parts the server stores as the task's files. */
export const FILES_FIELD = 'files';

/** A request body and the headers it needs. */
export interface EncodedBody {
  body: RequestBody;
  headers: Record<string, string>;
  duplex?: 'half';
}

/**
 * Splits a submit's input into plain text fields and the JSON `input`
 * field. Only one-line strings under simple names travel as text fields:
 * everything else (numbers, objects, a string with a line break, which
 * multipart would rewrite as CRLF) goes in `input`, which keeps its JSON
 * types. The server merges `input` over the text fields.
 */
export function splitInput(input: unknown): { fields: Array<[string, string]>; json: string | undefined } {
  if (input === undefined || input === null) return { fields: [], json: undefined };
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError('A submit with files takes an object input (its fields travel next to the files)');
  }
  const fields: Array<[string, string]> = [];
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (typeof value === 'string' && isPlainFieldName(name) && !/[\r\n]/.test(value)) fields.push([name, value]);
    else rest[name] = value;
  }
  return { fields, json: Object.keys(rest).length > 0 ? JSON.stringify(rest) : undefined };
}

function isPlainFieldName(name: string): boolean {
  return name !== INPUT_FIELD && name !== '' && !/["%\r\n]/.test(name);
}

/**
 * The multipart body of a submit with files: `FormData` when every file is
 * already a Blob or bytes; a body streamed as it is read when one is a stream.
 */
export function encodeMultipart(input: unknown, files: readonly FileInput[]): EncodedBody {
  const { fields, json } = splitInput(input);
  if (files.every((file) => !isStreamLike(file.data))) {
    const form = new FormData();
    for (const [name, value] of fields) form.append(name, value);
    if (json !== undefined) form.append(INPUT_FIELD, json);
    for (const file of files) form.append(FILES_FIELD, toBlob(file), file.name);
    return { body: form, headers: {} };
  }
  const boundary = `----stepwise-${randomHex(16)}`;
  const textFields = json === undefined ? fields : [...fields, [INPUT_FIELD, json] as [string, string]];
  return {
    body: toReadableStream(multipartChunks(boundary, textFields, files)),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    duplex: 'half',
  };
}

function isStreamLike(data: FileInput['data']): data is ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return false;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return false;
  return true;
}

function toBlob(file: FileInput): Blob {
  const data = file.data as Blob | Uint8Array | ArrayBuffer;
  if (data instanceof Blob) {
    // slice() does not copy (a file-backed Blob stays on disk); it only relabels the type.
    return file.contentType && file.contentType !== data.type ? data.slice(0, data.size, file.contentType) : data;
  }
  return new Blob([data as BlobPart], { type: file.contentType ?? 'application/octet-stream' });
}

const encoder = new TextEncoder();

/** As browsers and undici do: a quote or a line break in a name is percent-encoded. */
function escapeName(name: string): string {
  return name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

async function* multipartChunks(
  boundary: string,
  fields: ReadonlyArray<[string, string]>,
  files: readonly FileInput[],
): AsyncGenerator<Uint8Array> {
  for (const [name, value] of fields) {
    yield encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n${value}\r\n`,
    );
  }
  for (const file of files) {
    const type = file.contentType || (file.data instanceof Blob && file.data.type) || 'application/octet-stream';
    yield encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${FILES_FIELD}"; filename="${escapeName(file.name)}"\r\n` +
        `Content-Type: ${type.replace(/[\r\n]/g, '')}\r\n\r\n`,
    );
    yield* fileChunks(file.data);
    yield encoder.encode('\r\n');
  }
  yield encoder.encode(`--${boundary}--\r\n`);
}

async function* fileChunks(data: FileInput['data']): AsyncGenerator<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data;
  } else if (data instanceof ArrayBuffer) {
    yield new Uint8Array(data);
  } else if (data instanceof Blob) {
    yield* iterate(data.stream() as ReadableStream<Uint8Array>);
  } else {
    yield* iterate(data);
  }
}

/** A web stream or any async iterable of bytes (Node's `Readable` is one), chunk by chunk. */
async function* iterate(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in source) {
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    }
    return;
  }
  // Browsers whose ReadableStream is not async iterable.
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Pulls the generator only as fast as `fetch` sends: memory stays bounded. */
function toReadableStream(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  return Array.from(buffer, (b) => b.toString(16).padStart(2, '0')).join('');
}
