import { randomUUID } from 'node:crypto';
import { brotliCompressSync, constants as zlib, deflateSync, gzipSync } from 'node:zlib';
import type { Answer, HostileClient, HostileTarget, HttpRequest, RawAnswer } from './client';

/**
 * The hostile-input barrage: one table of cases, grouped by what they
 * attack, run against the built api by `test/e2e/hostile-input.spec.ts`
 * (embedded) and `test/distributed/hostile-input.postgres.spec.ts`
 * (PostgreSQL + Redis). See docs/development.md, "The hostile-input suite",
 * for how to add a case.
 *
 * Every answer must be below 500; where the input is wrong it must be the
 * 4xx the case names, and a 4xx of the REST routes (`/tasks...`) must carry
 * the contract's `{ statusCode, error, message }`.
 */

export const GROUPS = [
  'JSON bodies',
  'ids and paths',
  'query strings',
  'headers',
  'multipart',
  'tus',
  'Socket.IO',
  'SSE',
  'slow clients',
  'races',
] as const;
export type Group = (typeof GROUPS)[number];

/** What the barrage's set-up made before the first case. */
export interface Fixtures {
  /** A completed create-zip task; its download has `zipSize` bytes. */
  done: string;
  zipSize: number;
  /** A countdown due in an hour: pending and silent (its SSE stream sends keep-alives only). */
  quiet: string;
  /** A task that existed and was deleted. */
  gone: string;
}

export interface Context {
  client: HostileClient;
  fixtures: Fixtures;
  target: HostileTarget;
}

export interface HostileCase {
  group: Group;
  name: string;
  run(ctx: Context): Promise<void>;
}

/**
 * An expected answer: a status, one of several, `'refused'` (any 4xx) or
 * `'answered'` (odd but legal: anything below 500).
 */
export type Expected = number | readonly number[] | 'refused' | 'answered';

type Lazy<T> = T | ((fixtures: Fixtures) => T);
const resolve = <T>(value: Lazy<T>, fixtures: Fixtures): T =>
  typeof value === 'function' ? (value as (f: Fixtures) => T)(fixtures) : value;

interface HttpSpec {
  method: string;
  path: Lazy<string>;
  headers?: Lazy<Record<string, string>>;
  body?: Lazy<string | Buffer>;
  expect: Expected;
  /** Whose error shape a 4xx has (default: by the path, see {@link Contract}). */
  contract?: Contract;
  /** For event streams: read the head and the first chunk, then hang up. */
  firstChunkOnly?: boolean;
  /** More checks on the answer. */
  then?: (answer: Answer, ctx: Context) => Promise<void> | void;
}

export class CaseFailure extends Error {}

function matches(status: number, expected: Expected): boolean {
  if (status >= 500) return false;
  if (expected === 'answered') return status >= 100;
  if (expected === 'refused') return status >= 400 && status < 500;
  return typeof expected === 'number' ? status === expected : expected.includes(status);
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * Whose 4xx answers are in the contract's error shape: the REST routes'
 * (`true`), tus's when they are JSON (`'if-json'`: the owner check and the
 * 405 are Stepwise's, the rest is tus's plain text), none (engine.io, Node's
 * own parser).
 */
export type Contract = boolean | 'if-json';

const contractOf = (path: string): Contract =>
  path.startsWith('/tasks') ? true : path.startsWith('/uploads') ? 'if-json' : false;

/** Asserts an answer: below 500, as expected, and in the contract's shape when a REST 4xx. */
export function checkAnswer(
  what: string,
  answer: Answer,
  expected: Expected,
  contract: Contract,
  method = 'GET',
): void {
  if (!matches(answer.status, expected)) {
    throw new CaseFailure(`${what}: expected ${String(expected)}, got ${answer.status} ${clip(answer.body)}`);
  }
  const json = /^application\/json/.test(answer.headers['content-type'] ?? '');
  const shaped = contract === 'if-json' ? json : contract;
  // A HEAD answer has no body to shape.
  if (answer.status >= 400 && shaped && method !== 'HEAD') {
    let body: { statusCode?: unknown; error?: unknown; message?: unknown };
    try {
      body = JSON.parse(answer.body) as typeof body;
    } catch {
      throw new CaseFailure(`${what}: a ${answer.status} without a JSON body: ${clip(answer.body)}`);
    }
    if (body.statusCode !== answer.status || typeof body.error !== 'string' || typeof body.message !== 'string') {
      throw new CaseFailure(
        `${what}: a ${answer.status} not shaped { statusCode, error, message }: ${clip(answer.body)}`,
      );
    }
  }
}

/** Asserts a raw answer: a status below 500 as expected, or (with `closed`) no answer at all. */
function checkRaw(what: string, answer: RawAnswer, expected: Expected, orClosed = false): void {
  if (answer.status === null) {
    if (orClosed && answer.closedByServer) return;
    throw new CaseFailure(`${what}: no answer (${answer.closedByServer ? 'closed' : 'still open'})`);
  }
  if (!matches(answer.status, expected)) {
    throw new CaseFailure(`${what}: expected ${String(expected)}, got ${clip(answer.text)}`);
  }
}

/** The table: every case registers itself here. */
export const CASES: HostileCase[] = [];

function add(group: Group, name: string, run: (ctx: Context) => Promise<void>): void {
  if (CASES.some((c) => c.group === group && c.name === name)) throw new Error(`duplicate hostile case: ${name}`);
  CASES.push({ group, name, run });
}

/** One HTTP request, checked; what an accepted request created is deleted (uncounted) right after. */
function http(group: Group, name: string, spec: HttpSpec): void {
  add(group, name, async (ctx) => {
    const path = resolve(spec.path, ctx.fixtures);
    const body = spec.body === undefined ? undefined : resolve(spec.body, ctx.fixtures);
    const headers = spec.headers === undefined ? undefined : resolve(spec.headers, ctx.fixtures);
    const answer = await ctx.client.request({
      method: spec.method,
      path,
      headers,
      body,
      firstChunkOnly: spec.firstChunkOnly,
    });
    const what = `${spec.method} ${clip(path, 100)}`;
    checkAnswer(what, answer, spec.expect, spec.contract ?? contractOf(path), spec.method);
    await spec.then?.(answer, ctx);
    await cleanUp(ctx, spec.method, path, answer);
  });
}

/** Raw bytes on a socket: what no HTTP client would send. */
function raw(group: Group, name: string, bytes: Lazy<string | Buffer>, expected: Expected, orClosed = false): void {
  add(group, name, async (ctx) => {
    const answer = await ctx.client.raw(resolve(bytes, ctx.fixtures));
    checkRaw(name, answer, expected, orClosed);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Deletes what an accepted request made: a task (submit), a tus upload (creation). */
async function cleanUp(ctx: Context, method: string, path: string, answer: Answer): Promise<void> {
  if (method === 'POST' && answer.status === 202 && path.startsWith('/tasks/')) {
    const { id } = JSON.parse(answer.body) as { id?: string };
    if (id && UUID.test(id)) await deleteTask(ctx.client, id);
  }
  const location = answer.headers.location;
  if (method === 'POST' && answer.status === 201 && path.startsWith('/uploads') && location) {
    const gone = await ctx.client.helper({ method: 'DELETE', path: location, headers: TUS });
    if (gone.status !== 204) throw new CaseFailure(`DELETE ${location} of an accepted creation: ${gone.status}`);
  }
}

/** DELETE /tasks/{id}: 204 at once, or 202 (cancelled, compensated, then deleted). */
export async function deleteTask(client: HostileClient, id: string): Promise<void> {
  const gone = await client.helper({ method: 'DELETE', path: `/tasks/${id}` });
  if (gone.status !== 204 && gone.status !== 202) throw new CaseFailure(`DELETE /tasks/${id}: ${gone.status}`);
}

const JSON_TYPE = { 'content-type': 'application/json' };
/** A countdown that is over at once, for bodies that may be accepted. */
const QUICK = '{"ticks":1,"tickMs":0}';
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

// ---- JSON bodies ------------------------------------------------------------------------------

const submitJson = (name: string, body: Lazy<string | Buffer>, expected: Expected, type = 'countdown') =>
  http('JSON bodies', name, { method: 'POST', path: `/tasks/${type}`, headers: JSON_TYPE, body, expect: expected });

const nested = (levels: number, open = '[', close = ']', inner = '') =>
  open.repeat(levels) + inner + close.repeat(levels);

submitJson('truncated object', '{"ticks":', 400);
submitJson('trailing garbage', `${QUICK}x`, 400);
submitJson('single quotes', "{'ticks':1}", 400);
submitJson('NaN literal', '{"ticks":NaN}', 400);
submitJson('Infinity literal', '{"ticks":Infinity}', 400);
submitJson('comments', '{"ticks":1 /* one */}', 400);
submitJson('trailing comma', '{"ticks":1,}', 400);
submitJson('unquoted key', '{ticks:1}', 400);
submitJson('control character in a string', '{"ticks":1,"x":"a\u0001b"}', 400);
submitJson('an empty body', '', 400, 'create-zip');
submitJson('whitespace only', ' \r\n\t ', 400, 'create-zip');
submitJson('null', 'null', 400);
submitJson('an array', '[1,2,3]', 400);
submitJson('a string', '"countdown"', 400);
submitJson('a number', '42', 400);
submitJson('true', 'true', 400);
submitJson('10,000 nested arrays', () => nested(10_000), 400);
submitJson('10,000 nested objects', () => nested(10_000, '{"a":', '}', '1'), 400);
submitJson('10,000 levels inside a field', () => `{"ticks":1,"deep":${nested(10_000)}}`, 400);
submitJson('65 nested levels', () => `{"ticks":1,"deep":${nested(65)}}`, 400);
submitJson('60,000 nested arrays (beyond the size limit)', () => nested(60_000), 413);
submitJson('nesting where a number is expected', '{"ticks":[[[[1]]]],"tickMs":0}', 400);
submitJson('1e400', '{"ticks":1e400,"tickMs":0}', 400);
submitJson('-1e400', '{"ticks":-1e400,"tickMs":0}', 400);
submitJson('a 5,000-digit number', () => `{"ticks":${'9'.repeat(5000)},"tickMs":0}`, 400);
submitJson('2^53 + 1', '{"ticks":9007199254740993,"tickMs":0}', 400);
submitJson('a fraction where an integer is expected', '{"ticks":1.5,"tickMs":0}', 400);
submitJson('negative zero', '{"ticks":-0,"tickMs":0}', 400);
submitJson('1e-400', '{"ticks":1e-400,"tickMs":0}', 400);
submitJson('a number as a string', '{"ticks":"1","tickMs":0}', 400);
submitJson('a number as an object', '{"ticks":{"valueOf":1},"tickMs":0}', 400);
submitJson('__proto__ holding a forged input', '{"files":[],"__proto__":{"uploads":["x"]}}', 400, 'create-zip');
submitJson(
  'constructor.prototype holding a forged input',
  '{"constructor":{"prototype":{"files":[1]}}}',
  400,
  'create-zip',
);
for (const [name, key] of [
  ['a __proto__ key sets no default', '__proto__'],
  ['a constructor key sets no default', 'constructor'],
  ['a prototype key sets no default', 'prototype'],
]) {
  // Were the key read as a prototype, `ticks` would come from it: the output says which.
  http('JSON bodies', name, {
    method: 'POST',
    path: '/tasks/countdown',
    headers: JSON_TYPE,
    body: `{"tickMs":0,"${key}":{"ticks":3,"prototype":{"ticks":3}}}`,
    expect: [202, 400],
    then: async (answer, ctx) => {
      if (answer.status !== 202) return;
      const { id } = JSON.parse(answer.body) as { id: string };
      const output = await resultOf(ctx, id);
      if ((output as { ticks?: unknown } | null)?.ticks !== 10) {
        throw new CaseFailure(`${key}: the input took ticks from it: ${JSON.stringify(output)}`);
      }
    },
  });
}
submitJson('__proto__ set to null', '{"ticks":1,"tickMs":0,"__proto__":null}', 'answered');
http('JSON bodies', 'text/plain', {
  method: 'POST',
  path: '/tasks/countdown',
  headers: { 'content-type': 'text/plain' },
  body: QUICK,
  expect: 415,
});
http('JSON bodies', 'no content type', { method: 'POST', path: '/tasks/countdown', body: QUICK, expect: 415 });
for (const [name, type] of [
  ['application/xml', 'application/xml'],
  ['form-urlencoded', 'application/x-www-form-urlencoded'],
  ['application/octet-stream', 'application/octet-stream'],
  ['text/event-stream', 'text/event-stream'],
  ['a content type of ";"', ';'],
  ['*/*', '*/*'],
  ['two content types', 'application/json, text/plain'],
  ['multipart/mixed', 'multipart/mixed; boundary=x'],
  ['a content type of 4 KiB', `application/json; x=${'a'.repeat(4096)}`],
]) {
  http('JSON bodies', `content type ${name}`, {
    method: 'POST',
    path: '/tasks/countdown',
    headers: { 'content-type': type },
    body: QUICK,
    expect: name === 'a content type of 4 KiB' ? 'answered' : 415,
  });
}
for (const [name, type, expected] of [
  ['charset utf-16 on UTF-8 bytes', 'application/json; charset=utf-16', 400],
  ['charset latin1', 'application/json; charset=latin1', 415],
  ['an unknown charset', 'application/json; charset=x-bogus', 415],
  ['a charset of 1 KiB', `application/json; charset=${'u'.repeat(1024)}`, 415],
  ['two charsets', 'application/json; charset=utf-8; charset=utf-16', 'answered'],
  ['a quoted charset', 'application/json; charset="utf-8"', 'answered'],
  ['upper case', 'APPLICATION/JSON', 'answered'],
  ['empty parameters', 'application/json;;;', 'answered'],
  ['a +json type', 'application/merge-patch+json', 'answered'],
] as const) {
  http('JSON bodies', `charset trick: ${name}`, {
    method: 'POST',
    path: '/tasks/countdown',
    headers: { 'content-type': type },
    body: QUICK,
    expect: expected,
  });
}
http('JSON bodies', 'UTF-16LE with a BOM', {
  method: 'POST',
  path: '/tasks/countdown',
  headers: { 'content-type': 'application/json; charset=utf-16' },
  body: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(QUICK, 'utf16le')]),
  expect: 'answered',
});
submitJson('a UTF-8 BOM', `\ufeff${QUICK}`, 'answered');
submitJson('two BOMs', `\ufeff\ufeff${QUICK}`, 400);
submitJson(
  'invalid UTF-8 where a number is expected',
  () => Buffer.from('{"ticks":"\xff\xfe","tickMs":0}', 'latin1'),
  400,
);
submitJson(
  'invalid UTF-8 in an ignored field',
  () => Buffer.from('{"ticks":1,"tickMs":0,"x":"\xc3\x28"}', 'latin1'),
  'answered',
);
submitJson('a lone surrogate in a name', '{"uploads":["x"],"outputName":"\\ud800.zip"}', 400, 'create-zip');
submitJson('a lone surrogate in an ignored field', '{"ticks":1,"tickMs":0,"x":"\\udfff"}', 'answered');
submitJson('NUL in a string', '{"ticks":1,"tickMs":0,"x":"a\\u0000b"}', 400);
submitJson('NUL in a key', '{"ticks":1,"tickMs":0,"a\\u0000b":1}', 400);
submitJson('NUL in a file name', '{"uploads":["x"],"outputName":"a\\u0000.zip"}', 400, 'create-zip');
submitJson('a 1 MB string', () => JSON.stringify({ ticks: 1, tickMs: 0, x: 'a'.repeat(1 << 20) }), 413);
submitJson('just over 100 KiB', () => JSON.stringify({ ticks: 1, tickMs: 0, x: 'a'.repeat(100 * 1024) }), 413);
http('JSON bodies', 'a 1 MB string as +json', {
  method: 'POST',
  path: '/tasks/countdown',
  headers: { 'content-type': 'application/vnd.stepwise+json' },
  body: () => JSON.stringify({ ticks: 1, tickMs: 0, x: 'a'.repeat(1 << 20) }),
  expect: 413,
});
http('JSON bodies', 'malformed +json', {
  method: 'POST',
  path: '/tasks/countdown',
  headers: { 'content-type': 'application/vnd.stepwise+json' },
  body: '{"ticks":',
  expect: 400,
});
http('JSON bodies', '10,000 nested arrays as +json', {
  method: 'POST',
  path: '/tasks/countdown',
  headers: { 'content-type': 'application/vnd.stepwise+json' },
  body: () => nested(10_000),
  expect: 400,
});
submitJson('duplicate keys, the last one wrong', '{"ticks":1,"tickMs":0,"ticks":"x"}', 400);
submitJson('duplicate keys, the last one right', '{"ticks":"x","tickMs":0,"ticks":1}', 'answered');
submitJson(
  '10,000 keys',
  () => `{"ticks":1,"tickMs":0,${Array.from({ length: 10_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
  'answered',
);
submitJson('a 20,000-element array', () => `{"ticks":1,"tickMs":0,"x":[${'0,'.repeat(19_999)}0]}`, 'answered');
submitJson(
  'a string of 90 KiB in a name',
  () => JSON.stringify({ uploads: [randomUUID()], outputName: `${'n'.repeat(90 * 1024)}.zip` }),
  400,
  'create-zip',
);
submitJson(
  'files forged in JSON',
  '{"files":[{"key":"../../stepwise.sqlite","name":"x","size":1}]}',
  400,
  'create-zip',
);
submitJson(
  'files forged in JSON for csv-import',
  '{"files":[{"key":"/etc/passwd","name":"x","size":1}]}',
  400,
  'csv-import',
);
submitJson('upload ids that are paths', '{"uploads":["../../etc/passwd"]}', 400, 'create-zip');
submitJson(
  '10,001 upload ids',
  () => JSON.stringify({ uploads: Array.from({ length: 10_001 }, () => randomUUID()) }),
  'refused',
  'create-zip',
);
submitJson(
  'an unknown upload id (the task fails)',
  () => JSON.stringify({ uploads: [randomUUID()] }),
  'answered',
  'create-zip',
);
submitJson(
  'a traversal output name',
  () => JSON.stringify({ uploads: [randomUUID()], outputName: '../../x.zip' }),
  'answered',
  'create-zip',
);
for (const [name, encoding, body, expected] of [
  ['gzip that is not gzip', 'gzip', QUICK, 400],
  ['deflate that is not deflate', 'deflate', QUICK, 400],
  ['br that is not br', 'br', QUICK, 400],
  ['an unknown encoding', 'zstd', QUICK, 415],
  ['gzip twice, declared', 'gzip, gzip', QUICK, 415],
  ['identity', 'identity', QUICK, 'answered'],
  ['a truncated gzip', 'gzip', () => gzipSync(QUICK).subarray(0, 12), 400],
  // A thousand times the body limit and more, decoded: the parser must stop at the limit.
  ['a gzip bomb (32 MiB of spaces)', 'gzip', () => gzipSync(Buffer.alloc(32 << 20, 32)), 413],
  ['a deflate bomb (32 MiB of zeros)', 'deflate', () => deflateSync(Buffer.alloc(32 << 20, 48)), 413],
  [
    'a brotli bomb (32 MiB of spaces)',
    'br',
    () => brotliCompressSync(Buffer.alloc(32 << 20, 32), { params: { [zlib.BROTLI_PARAM_QUALITY]: 1 } }),
    413,
  ],
  ['a gzip of malformed JSON', 'gzip', () => gzipSync('{"ticks":'), 400],
  ['a valid gzip', 'gzip', () => gzipSync(QUICK), 'answered'],
  ['GZIP in upper case', 'GZIP', () => gzipSync(QUICK), 'answered'],
] as const) {
  http('JSON bodies', `Content-Encoding: ${name}`, {
    method: 'POST',
    path: '/tasks/countdown',
    headers: { ...JSON_TYPE, 'content-encoding': encoding },
    body: typeof body === 'function' ? () => body() : body,
    expect: expected,
  });
}

/** The output of a task once it is over (null when it did not complete). */
async function resultOf(ctx: Context, id: string): Promise<unknown> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const view = await ctx.client.helperJson<{ status: string }>({ method: 'GET', path: `/tasks/${id}` }, 200);
    if (['completed', 'failed', 'cancelled'].includes(view.status)) break;
    if (Date.now() > deadline) throw new CaseFailure(`task ${id} still ${view.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const result = await ctx.client.helper({ method: 'GET', path: `/tasks/${id}/result` });
  return result.status === 200 ? (JSON.parse(result.body) as { output: unknown }).output : null;
}

// ---- ids and paths ----------------------------------------------------------------------------

/** Ids as a client could put them in a URL; each goes to every `:id` route. */
const IDS: Array<[string, Lazy<string>]> = [
  ['..', '..'],
  ['.', '.'],
  ['%2e%2e', '%2e%2e'],
  ['encoded traversal', '..%2f..%2fetc%2fpasswd'],
  ['double-encoded traversal', '%252e%252e%252f'],
  ['an encoded slash', 'a%2Fb'],
  ['backslashes', '..%5c..%5cstepwise.sqlite'],
  ['4,000 characters', 'x'.repeat(4000)],
  ['unicode', '%E2%82%AC%F0%9F%92%A9'],
  ['a combining accent', 'e%CC%81'],
  ['a null byte', '%00'],
  ['a UUID with a null byte', () => `${randomUUID()}%00`],
  ['SQL', "1'%20OR%20'1'%3D'1"],
  ['SQL in a UUID', "11111111-1111-4111-8111-111111111111'%3B--"],
  ['a bad percent-encoding', '%zz'],
  ['invalid UTF-8', '%ff%fe'],
  ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
  ['an unknown UUID', () => randomUUID()],
  ['an unknown UUID in upper case', () => randomUUID().toUpperCase()],
  ['a deleted task', (f) => f.gone],
  ['a UUID with braces', () => `%7B${randomUUID()}%7D`],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['-1', '-1'],
];
const ID_ROUTES: Array<[string, string]> = [
  ['GET', ''],
  ['GET', '/result'],
  ['GET', '/download'],
  ['GET', '/events'],
  ['GET', '/webhooks'],
  ['POST', '/cancel'],
  ['POST', '/pause'],
  ['POST', '/resume'],
  ['POST', '/retry'],
  ['DELETE', ''],
];
for (const [name, id] of IDS) {
  for (const [method, suffix] of ID_ROUTES) {
    http('ids and paths', `${method} /tasks/:id${suffix}, id ${name}`, {
      method,
      path: (f) => `/tasks/${resolve(id, f)}${suffix}`,
      // 404 for what cannot name a task; 400 for what cannot even be decoded.
      expect: [400, 404],
    });
  }
}
const TYPES: Array<[string, string]> = [
  ['..', '..'],
  ['%2e%2e', '%2e%2e'],
  ['an encoded slash', 'count%2Fdown'],
  ['300 characters', 'c'.repeat(300)],
  ['unicode', '%E2%82%AC'],
  ['a null byte', 'countdown%00'],
  ['SQL', "countdown'%3B--"],
  ['upper case', 'COUNTDOWN'],
  ['a trailing dot', 'countdown.'],
  ['a leading dash', '-countdown'],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['toString', 'toString'],
  ['hasOwnProperty', 'hasOwnProperty'],
  ['stats', 'stats'],
  ['a bad percent-encoding', '%'],
];
for (const [name, type] of TYPES) {
  http('ids and paths', `POST /tasks/:type, type ${name}`, {
    method: 'POST',
    path: `/tasks/${type}`,
    headers: JSON_TYPE,
    body: QUICK,
    expect: [400, 404],
  });
}
for (const [name, path] of [
  ['a path through ..', '/tasks/../tasks'],
  ['a double slash', '//tasks'],
  ['a trailing slash on an id', '/tasks/11111111-1111-4111-8111-111111111111/'],
  ['an unknown sub-route', '/tasks/11111111-1111-4111-8111-111111111111/nope'],
  ['a deep path', `/tasks/${'a/'.repeat(500)}`],
  ['a method no route has', '/tasks'],
]) {
  http('ids and paths', name, {
    method: name === 'a method no route has' ? 'PUT' : 'GET',
    path,
    expect: 'answered',
  });
}
raw(
  'ids and paths',
  'raw UTF-8 bytes in the path',
  () =>
    Buffer.concat([
      Buffer.from('GET /tasks/'),
      Buffer.from('日本', 'utf8'),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ]),
  'refused',
);
raw(
  'ids and paths',
  'a space in the path',
  'GET /tasks/a b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  'refused',
);
raw(
  'ids and paths',
  'an absolute-form URL',
  'GET http://evil.example/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  'answered',
);
raw('ids and paths', 'an asterisk-form request', 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'answered');

// ---- query strings ----------------------------------------------------------------------------

/** Dates no finished task has, so that a bulk call the server accepts touches nothing. */
const HARMLESS = 'finishedBefore=2000-01-01T00:00:00Z';
for (const [query, expected] of [
  ['limit=abc', 400],
  ['limit=-1', 400],
  ['limit=0', 400],
  ['limit=1e3', 400],
  ['limit=101', 400],
  ['limit=1.5', 400],
  ['limit=%00', 400],
  ['limit=99999999999999999999', 400],
  ['limit=1&limit=2', 400],
  ['limit[]=1', 'answered'],
  ['limit[$gt]=0', 'answered'],
  ['status=bogus', 400],
  ['status=PENDING', 400],
  ['status=pending&status=running', 400],
  ['status[]=pending', 'answered'],
  ['status=pending,running', 400],
  ['type=../x', 400],
  ['type=%00', 400],
  [`type=${'t'.repeat(300)}`, 400],
  ['type=a&type=b', 400],
  ['cursor=abc', 400],
  ['cursor=', 400],
  [`cursor=${'A'.repeat(5000)}`, 400],
  ['cursor=eyJjIjoxLjUsImkiOiJ4In0', 400],
  ['cursor=a&cursor=b', 400],
  ['cursor[]=x', 'answered'],
  [`x=${'y'.repeat(8000)}`, 'answered'],
  ['__proto__[x]=1', 'answered'],
  ['constructor[prototype][x]=1', 'answered'],
  ['%zz=1', 'answered'],
  ['&&&==&=', 'answered'],
] as const) {
  http('query strings', `GET /tasks?${clip(query, 40)}`, { method: 'GET', path: `/tasks?${query}`, expect: expected });
}
for (const [query, expected] of [
  ['status=running', 400],
  ['status=completed,bogus', 400],
  [`status=${'completed,'.repeat(50)}`, 400],
  ['finishedBefore=yesterday', 400],
  ['finishedBefore=2020-13-45T00:00:00Z', 400],
  ['finishedBefore=99999-01-01T00:00:00Z', 400],
  ['finishedBefore=2000-01-01&finishedBefore=2001-01-01', 400],
  ['type=%00', 400],
  [`finishedBefore[]=x&${HARMLESS}`, 'answered'],
] as const) {
  http('query strings', `DELETE /tasks?${clip(query, 40)}`, {
    method: 'DELETE',
    path: `/tasks?${query}`,
    expect: expected,
  });
}
for (const [query, expected] of [
  ['finishedAfter=x', 400],
  ['finishedBefore=9999-99-99', 400],
  ['type=../x', 400],
  ['finishedAfter=a&finishedAfter=b', 400],
  [`type[]=x&${HARMLESS}`, 'answered'],
] as const) {
  http('query strings', `POST /tasks/retry?${clip(query, 40)}`, {
    method: 'POST',
    path: `/tasks/retry?${query}`,
    expect: expected,
  });
}
for (const [query, expected] of [
  ['callbackUrl=javascript:alert(1)', 400],
  ['callbackUrl=http://127.0.0.1/', 400],
  ['callbackUrl=http://169.254.169.254/latest/meta-data', 400],
  ['callbackUrl=http://[::1]/', 400],
  ['callbackUrl=http://localhost./', 400],
  ['callbackUrl=file:///etc/passwd', 400],
  ['callbackUrl=', 400],
  [`callbackUrl=https://example.com/${'a'.repeat(3000)}`, 400],
  ['callbackUrl=https://a.example&callbackUrl=https://b.example', 400],
  ['callbackUrl[]=https://a.example', 'answered'],
  ['callbackUrl=https://%E4%BE%8B%E3%81%88.invalid/%00?%ff', 'answered'],
  ['runAt=x', 400],
  ['runAt=99999-01-01T00:00:00Z', 400],
  ['runAt=2020-01-01T00:00:00Z&delayMs=1', 400],
  ['runAt=a&runAt=b', 400],
  ['delayMs=-1', 400],
  ['delayMs=1e99', 400],
  ['delayMs=0x10', 400],
  ['delayMs=99999999999', 400],
  ['delayMs=1&delayMs=2', 400],
  ['runAt=0001-01-01T00:00:00Z', 'answered'],
] as const) {
  http('query strings', `POST /tasks/countdown?${clip(query, 40)}`, {
    method: 'POST',
    path: `/tasks/countdown?${query}`,
    headers: JSON_TYPE,
    body: QUICK,
    expect: expected,
  });
}
for (const [query, expected] of [
  ['redirect=maybe', 400],
  ['redirect=TRUE', 400],
  ['redirect=true&redirect=false', 400],
  ['redirect[]=true', 200],
] as const) {
  http('query strings', `GET /tasks/:id?${query}`, {
    method: 'GET',
    path: (f) => `/tasks/${f.quiet}?${query}`,
    expect: expected,
  });
}

// ---- headers ----------------------------------------------------------------------------------

const request = (head: string, body = '') =>
  `${head}\r\nHost: x\r\nConnection: close${body ? `\r\nContent-Type: application/json` : ''}\r\n`;

http('headers', 'a 15 KiB header', {
  method: 'GET',
  path: '/tasks?limit=1',
  headers: { 'x-big': 'a'.repeat(15_000) },
  expect: 200,
});
raw(
  'headers',
  'a 70 KiB header',
  () => `GET /tasks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\nConnection: close\r\n\r\n`,
  431,
  true,
);
raw(
  'headers',
  '3,000 headers',
  () =>
    `GET /tasks HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('')}Connection: close\r\n\r\n`,
  431,
  true,
);
raw(
  'headers',
  'a 100 KiB URL',
  () => `GET /tasks?x=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  431,
  true,
);
add('headers', 'Idempotency-Key twice', async (ctx) => {
  const answer = await ctx.client.raw(
    `POST /tasks/countdown HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: k1\r\nIdempotency-Key: k2\r\nContent-Length: ${QUICK.length}\r\nConnection: close\r\n\r\n${QUICK}`,
  );
  checkRaw('Idempotency-Key twice', answer, 400);
  const body = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4);
  checkAnswer(
    'Idempotency-Key twice',
    { status: 400, headers: { 'content-type': 'application/json' }, body },
    400,
    true,
  );
});
for (const [name, key] of [
  ['empty', ''],
  ['300 characters', 'k'.repeat(300)],
  ['non-ASCII', 'cl\u00e9'],
  ['a tab inside', 'a\tb'],
] as const) {
  add('headers', `Idempotency-Key ${name}`, async (ctx) => {
    const answer = await ctx.client.raw(
      Buffer.from(
        `POST /tasks/countdown HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: ${key}\r\nContent-Length: ${QUICK.length}\r\nConnection: close\r\n\r\n${QUICK}`,
        'latin1',
      ),
    );
    checkRaw(`Idempotency-Key ${name}`, answer, 400);
  });
}
add('headers', 'Idempotency-Key reused: with quotes, another input, another type', async (ctx) => {
  const key = `it's "hostile" \\ ${randomUUID()}; DROP TABLE stepwise_tasks;--`;
  const submit = (type: string, body: string) =>
    ctx.client.request({
      method: 'POST',
      path: `/tasks/${type}`,
      headers: { ...JSON_TYPE, 'idempotency-key': key },
      body,
    });
  const first = await submit('countdown', QUICK);
  checkAnswer('first submit', first, 202, true);
  const { id } = JSON.parse(first.body) as { id: string };
  try {
    const replay = await submit('countdown', QUICK);
    checkAnswer('replay', replay, 202, true);
    if ((JSON.parse(replay.body) as { id: string }).id !== id || replay.headers['idempotent-replayed'] !== 'true') {
      throw new CaseFailure(`not a replay: ${clip(replay.body)}`);
    }
    checkAnswer('another input', await submit('countdown', '{"ticks":2,"tickMs":0}'), 422, true);
    checkAnswer('another type', await submit('create-zip', '{"uploads":[]}'), [400, 409], true);
  } finally {
    await deleteTask(ctx.client, id);
  }
});
const CL_BODY = QUICK;
for (const [name, headers] of [
  ['Content-Length shorter than the body', `Content-Length: 5`],
  ['Content-Length negative', `Content-Length: -1`],
  ['Content-Length not a number', `Content-Length: abc`],
  ['Content-Length twice, different', `Content-Length: ${CL_BODY.length}\r\nContent-Length: ${CL_BODY.length + 1}`],
  ['Content-Length of 20 digits', `Content-Length: 99999999999999999999`],
  ['Content-Length and Transfer-Encoding', `Content-Length: ${CL_BODY.length}\r\nTransfer-Encoding: chunked`],
  ['Transfer-Encoding unknown', `Transfer-Encoding: gzip`],
  ['Transfer-Encoding twice', `Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked`],
]) {
  raw(
    'headers',
    name,
    `${request('POST /tasks/countdown HTTP/1.1', CL_BODY)}${headers}\r\n\r\n${CL_BODY}`,
    'refused',
    true,
  );
}
raw(
  'headers',
  'a bad chunk size',
  `${request('POST /tasks/countdown HTTP/1.1', CL_BODY)}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
  'refused',
  true,
);
raw(
  'headers',
  'a chunk longer than it says',
  `${request('POST /tasks/countdown HTTP/1.1', CL_BODY)}Transfer-Encoding: chunked\r\n\r\n2\r\n${CL_BODY}\r\n0\r\n\r\n`,
  'refused',
  true,
);
raw(
  'headers',
  'a valid chunked body',
  `${request('POST /tasks/countdown HTTP/1.1', CL_BODY)}Transfer-Encoding: chunked\r\n\r\n${CL_BODY.length.toString(16)}\r\n${CL_BODY}\r\n0\r\n\r\n`,
  'answered',
);
raw('headers', 'a garbage request line', 'GARBAGE\r\n\r\n', 400, true);
raw('headers', 'the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'refused', true);
raw('headers', 'HTTP/9.9', 'GET /tasks HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n', 'refused', true);
raw(
  'headers',
  'a header name with a space',
  'GET /tasks HTTP/1.1\r\nHost: x\r\nBad Header: v\r\nConnection: close\r\n\r\n',
  400,
  true,
);
raw(
  'headers',
  'a NUL in a header value',
  'GET /tasks HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\nConnection: close\r\n\r\n',
  400,
  true,
);
raw('headers', 'no Host', 'GET /tasks HTTP/1.1\r\nConnection: close\r\n\r\n', 400, true);
raw('headers', 'two Hosts', 'GET /tasks HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', 'answered', true);
raw('headers', 'a bare LF line ending', 'GET /tasks HTTP/1.1\nHost: x\nConnection: close\n\n', 'answered', true);
raw(
  'headers',
  'obsolete line folding',
  'GET /tasks HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  b\r\nConnection: close\r\n\r\n',
  'answered',
  true,
);
raw(
  'headers',
  'Expect: something unknown',
  `${request('POST /tasks/countdown HTTP/1.1', CL_BODY)}Expect: teapot\r\nContent-Length: ${CL_BODY.length}\r\n\r\n${CL_BODY}`,
  417,
  true,
);
for (const [name, range, expected] of [
  ['the first byte', 'bytes=0-0', 206],
  ['the last byte', 'bytes=-1', 206],
  ['from 0', 'bytes=0-', 206],
  ['past the end', 'bytes=999999999-', 416],
  ['reversed', 'bytes=5-1', [200, 416]],
  ['two ranges', 'bytes=0-1,3-4', [200, 206, 416]],
  ['1,000 ranges', `bytes=${'0-0,'.repeat(999)}0-0`, [200, 206, 416]],
  ['not a number', 'bytes=abc', [200, 416]],
  ['another unit', 'items=0-1', [200, 416]],
  ['a zero suffix', 'bytes=-0', [200, 416]],
  ['an end of 20 digits', 'bytes=0-99999999999999999999', [200, 206, 416]],
  ['a start of 20 digits', 'bytes=99999999999999999999-', [200, 416]],
  ['empty', 'bytes=', [200, 416]],
  ['two dashes', 'bytes=--1', [200, 416]],
  ['an exponent', 'bytes=1e3-', [200, 416]],
  ['spaces', 'bytes = 0 - 1', [200, 206, 416]],
] as const) {
  http('headers', `Range ${name}`, {
    method: 'GET',
    path: (f) => `/tasks/${f.done}/download`,
    headers: { range },
    expect: expected,
    then: (answer, ctx) => checkRange(answer, ctx.fixtures.zipSize),
  });
}
for (const [name, headers] of [
  ['If-Range garbage', { range: 'bytes=0-0', 'if-range': 'garbage' }],
  ['If-Range a date of 1970', { range: 'bytes=0-0', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' }],
  ['If-None-Match *', { 'if-none-match': '*' }],
  ['If-None-Match of 4 KiB', { 'if-none-match': `"${'e'.repeat(4096)}"` }],
  ['If-Modified-Since garbage', { 'if-modified-since': 'yesterday' }],
  ['If-Match that does not match', { 'if-match': '"nope"' }],
  ['If-Unmodified-Since in 1970', { 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }],
] as const) {
  http('headers', `download with ${name}`, {
    method: 'GET',
    path: (f) => `/tasks/${f.done}/download`,
    headers,
    expect: [200, 206, 304, 412, 416],
    then: (answer, ctx) => checkRange(answer, ctx.fixtures.zipSize),
  });
}
for (const [name, accept] of [
  ['text/html', 'text/html'],
  ['application/xml', 'application/xml'],
  ['nothing acceptable', '*/*;q=0'],
  ['garbage', ';;;,,,'],
  ['text/event-stream', 'text/event-stream'],
  ['4 KiB', `${'a/b, '.repeat(800)}*/*`],
]) {
  http('headers', `Accept ${name} on a task`, {
    method: 'GET',
    path: (f) => `/tasks/${f.done}`,
    headers: { accept },
    expect: 200,
  });
  http('headers', `Accept ${name} on an unknown task`, {
    method: 'GET',
    path: `/tasks/${randomUUID()}`,
    headers: { accept },
    expect: 404,
  });
}
http('headers', 'Accept-Encoding garbage', {
  method: 'GET',
  path: '/tasks?limit=1',
  headers: { 'accept-encoding': `gzip;q=abc, *;q=-1, ${'x,'.repeat(2000)}` },
  expect: 200,
});
http('headers', 'a strange Host', {
  method: 'GET',
  path: '/tasks?limit=1',
  headers: { host: '../../etc:99999' },
  expect: 200,
});
http('headers', 'X-Forwarded-* garbage', {
  method: 'GET',
  path: '/tasks?limit=1',
  headers: { 'x-forwarded-for': 'garbage, ::::', 'x-forwarded-proto': 'javascript', 'x-forwarded-host': '"><script>' },
  expect: 200,
});
http('headers', 'x-owner-id of 8 KiB', {
  method: 'GET',
  path: '/tasks?limit=1',
  headers: { 'x-owner-id': 'o'.repeat(8192) },
  expect: [200, 401],
});
http('headers', 'a cookie of 8 KiB', {
  method: 'GET',
  path: '/tasks?limit=1',
  headers: { cookie: `a=${'%'.repeat(8192)}` },
  expect: 200,
});
http('headers', 'a CORS preflight with garbage', {
  method: 'OPTIONS',
  path: '/tasks/countdown',
  headers: {
    origin: 'null',
    'access-control-request-method': 'DELETE\u0020X',
    'access-control-request-headers': ',,,'.repeat(100),
  },
  expect: 'answered',
});

/** A 206 holds what its Content-Range says; a 416 names the size. */
function checkRange(answer: Answer, size: number): void {
  if (answer.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(answer.headers['content-range']));
    if (!range) throw new CaseFailure(`206 with Content-Range ${String(answer.headers['content-range'])}`);
    const [start, end, total] = range.slice(1).map(Number);
    if (total !== size || end < start || end >= size || Number(answer.headers['content-length']) !== end - start + 1) {
      throw new CaseFailure(`206 with Content-Range ${range[0]}, Content-Length ${answer.headers['content-length']}`);
    }
  }
  if (answer.status === 416 && answer.headers['content-range'] !== `bytes */${size}`) {
    throw new CaseFailure(`416 with Content-Range ${String(answer.headers['content-range'])}`);
  }
}

// ---- multipart ----------------------------------------------------------------------------------

const B = 'hostile';
const MP = `multipart/form-data; boundary=${B}`;
const part = (disposition: string | null, body: string, extra = '') =>
  `--${B}\r\n${disposition === null ? '' : `Content-Disposition: ${disposition}\r\n`}${extra}\r\n${body}\r\n`;
const END = `--${B}--\r\n`;
const file = (body = 'hello', name = 'a.txt') => part(`form-data; name="files"; filename="${name}"`, body);
const field = (name: string, value: string) => part(`form-data; name="${name}"`, value);

const multipart = (
  name: string,
  body: Lazy<string>,
  expected: Expected,
  options: { type?: string; contentType?: string; headers?: Record<string, string> } = {},
) =>
  http('multipart', name, {
    method: 'POST',
    path: `/tasks/${options.type ?? 'create-zip'}`,
    headers: { 'content-type': options.contentType ?? MP, ...options.headers },
    body,
    expect: expected,
  });

multipart('a file part without a name', part('form-data; filename="a.txt"', 'x') + END, 400);
multipart('a part without Content-Disposition', part(null, 'orphan') + END, 400);
multipart('"files" as a text field', field('files', 'x') + END, 400);
multipart('no boundary', file() + END, 400, { contentType: 'multipart/form-data' });
multipart('an empty boundary', file() + END, 400, { contentType: 'multipart/form-data; boundary=' });
multipart('a boundary of 71 characters', file() + END, 400, {
  contentType: `multipart/form-data; boundary=${'b'.repeat(71)}`,
});
multipart('no parts at all', 'just bytes', 400);
multipart('an empty body', '', 400);
multipart('no closing boundary', file(), 400);
multipart('cut inside the part headers', `--${B}\r\nContent-Disposition: form-da`, 400);
multipart(
  'part headers of 100 KiB',
  () => part(`form-data; name="files"; filename="${'n'.repeat(100 * 1024)}"`, 'x') + END,
  'refused',
);
multipart('a file over the size limit', () => file('z'.repeat(70 * 1024)) + END, 413);
multipart('too many files', file('1') + file('2') + file('3') + file('4') + END, 413);
multipart(
  '200 fields',
  () => Array.from({ length: 200 }, (_, i) => field(`f${i}`, 'v')).join('') + file() + END,
  'refused',
);
multipart('a field of 200 KiB', () => field('outputName', 'v'.repeat(200 * 1024)) + file() + END, 'refused');
multipart('input that is not JSON', field('input', '{"oops"') + file() + END, 400);
multipart('input that is a JSON array', field('input', '[1,2]') + file() + END, 400);
multipart('input nested 10,000 levels', () => field('input', `{"x":${nested(10_000)}}`) + file() + END, 'refused');
multipart(
  'input with __proto__ forging files',
  field('input', '{"__proto__":{"files":[{"key":"../x"}]}}') + file() + END,
  'answered',
);
multipart('a field named __proto__', field('__proto__', '{"files":1}') + file() + END, 'answered');
multipart('a field named constructor', field('constructor', 'x') + file() + END, 'answered');
multipart('a NUL in a field', field('outputName', 'a\u0000.zip') + file() + END, 400);
multipart('a traversal file name', file('x', '../../../stepwise.sqlite') + END, 'answered');
multipart('a file name of NULs and controls', file('x', '\u0000\u0001\u001b[31m') + END, 'answered');
multipart(
  'an RFC 5987 name with a lone surrogate',
  part(`form-data; name="files"; filename*=UTF-8''%ED%A0%80.txt`, 'x') + END,
  'answered',
);
multipart('a Content-Encoding', file() + END, 415, { headers: { 'content-encoding': 'gzip' } });
multipart('files to a task that takes none', file() + END, 415, { type: 'countdown' });
multipart('two files to csv-import', file('a,b\n1,2\n', 'a.csv') + file('a,b\n', 'b.csv') + END, 400, {
  type: 'csv-import',
});
multipart('csv-import without a file', field('delimiter', ';') + END, 400, { type: 'csv-import' });
multipart(
  'csv-import with a delimiter of 1 KiB',
  () => field('delimiter', ';'.repeat(1024)) + file('a;b\n', 'a.csv') + END,
  400,
  { type: 'csv-import' },
);
multipart(
  'LF line endings only',
  `--${B}\nContent-Disposition: form-data; name="files"; filename="a"\n\nx\n--${B}--\n`,
  400,
);

// ---- tus ----------------------------------------------------------------------------------------

const TUS = { 'tus-resumable': '1.0.0' };
const OCTETS = { ...TUS, 'content-type': 'application/offset+octet-stream' };

const create = (name: string, headers: Record<string, string>, expected: Expected, body?: string) =>
  http('tus', `creation: ${name}`, { method: 'POST', path: '/uploads', headers, body, expect: expected });

create('no Tus-Resumable', { 'upload-length': '5' }, 412);
create('Tus-Resumable 0.2.2', { 'tus-resumable': '0.2.2', 'upload-length': '5' }, [400, 412]);
create('Tus-Resumable of 1 KiB', { 'tus-resumable': 'x'.repeat(1024), 'upload-length': '5' }, [400, 412]);
create('Upload-Length -1', { ...TUS, 'upload-length': '-1' }, 400);
create('Upload-Length 1e3', { ...TUS, 'upload-length': '1e3' }, 400);
create('Upload-Length abc', { ...TUS, 'upload-length': 'abc' }, 400);
create('Upload-Length 1.5', { ...TUS, 'upload-length': '1.5' }, 400);
create('Upload-Length empty', { ...TUS, 'upload-length': '' }, 400);
create('Upload-Length of 24 digits', { ...TUS, 'upload-length': '9'.repeat(24) }, [400, 413]);
create('Upload-Length 2^53', { ...TUS, 'upload-length': String(2 ** 53) }, 413);
create('Upload-Length over the size limit', { ...TUS, 'upload-length': String(64 * 1024 + 1) }, 413);
create('no Upload-Length', TUS, 400);
create('Upload-Length and Upload-Defer-Length', { ...TUS, 'upload-length': '5', 'upload-defer-length': '1' }, 400);
create('Upload-Defer-Length 2', { ...TUS, 'upload-defer-length': '2' }, 400);
create('Upload-Metadata not base64', { ...TUS, 'upload-length': '5', 'upload-metadata': 'filename !!!' }, 400);
create(
  'Upload-Metadata with a key twice',
  { ...TUS, 'upload-length': '5', 'upload-metadata': `filename ${b64('a')},filename ${b64('b')}` },
  400,
);
create('Upload-Metadata of commas', { ...TUS, 'upload-length': '5', 'upload-metadata': ',,,, ,, ,' }, 400);
create(
  'Upload-Metadata with __proto__',
  { ...TUS, 'upload-length': '5', 'upload-metadata': `__proto__ ${b64('x')}` },
  400,
);
create(
  'Upload-Metadata of 20 KiB',
  { ...TUS, 'upload-length': '5', 'upload-metadata': `filename ${b64('a'.repeat(15_000))}` },
  [201, 431],
);
// Accepted: the case deletes the upload (204), and the end of the barrage finds nothing of it.
create('Upload-Metadata without a value', { ...TUS, 'upload-length': '5', 'upload-metadata': 'filename' }, 201);
create(
  'Upload-Metadata forging the owner',
  { ...TUS, 'upload-length': '5', 'upload-metadata': `stepwise-owner ${b64('mallory')}` },
  201,
);
create(
  'Upload-Metadata with a traversal name',
  { ...TUS, 'upload-length': '5', 'upload-metadata': `filename ${b64('../../../stepwise.sqlite')}` },
  201,
);
create(
  'Upload-Metadata with a header in filetype',
  { ...TUS, 'upload-length': '5', 'upload-metadata': `filetype ${b64('text/html\r\nX-Evil: 1')}` },
  201,
);
create('Upload-Defer-Length 1', { ...TUS, 'upload-defer-length': '1' }, 201);
create('a body longer than Upload-Length', { ...OCTETS, 'upload-length': '2' }, 413, 'hello');
create(
  'a whole file named with NULs',
  { ...OCTETS, 'upload-length': '5', 'upload-metadata': `filename ${b64('a\u0000b\u0000.txt')}` },
  201,
  'hello',
);
create(
  'a whole file named in invalid UTF-8',
  { ...OCTETS, 'upload-length': '5', 'upload-metadata': `filename ${b64(Buffer.from([0xff, 0xfe, 0xc3]))}` },
  201,
  'hello',
);
create('Upload-Length 0', { ...TUS, 'upload-length': '0' }, 201);
create(
  'a body with the wrong content type',
  { ...TUS, 'upload-length': '5', 'content-type': 'text/plain' },
  [201, 400, 415],
  'hello',
);

for (const [name, id] of [
  ['an unknown id', () => randomUUID()],
  ['..', '..'],
  ['%2e%2e', '%2e%2e'],
  ['4,000 characters', 'x'.repeat(4000)],
  ['a null byte', '%00'],
  ['an encoded slash', '..%2F..%2Fstepwise.sqlite'],
  ['a bad percent-encoding', '%zz'],
] as const) {
  for (const method of ['HEAD', 'PATCH', 'DELETE', 'GET', 'POST']) {
    http('tus', `${method} on ${name}`, {
      method,
      path: `/uploads/${typeof id === 'function' ? id() : id}`,
      headers: method === 'PATCH' ? { ...OCTETS, 'upload-offset': '0' } : TUS,
      body: method === 'PATCH' ? 'hello' : undefined,
      // PATCH without creation: 404. GET: 405. POST to an id: no Upload-Length, 400.
      expect: [400, 404, 405],
    });
  }
}

/** A tus upload of `length` bytes for the cases below; deleted when they are done. */
async function withUpload(ctx: Context, length: number, body: (location: string) => Promise<void>): Promise<void> {
  const created = await ctx.client.helper({
    method: 'POST',
    path: '/uploads',
    headers: { ...TUS, 'upload-length': String(length) },
  });
  const location = created.headers.location;
  if (created.status !== 201 || !location) throw new CaseFailure(`tus creation: ${created.status} ${created.body}`);
  const outcome = await body(location).then(
    () => null,
    (error: unknown) => ({ error }),
  );
  // Termination works after whatever the case sent.
  const gone = await ctx.client.helper({ method: 'DELETE', path: location, headers: TUS });
  if (outcome) throw outcome.error;
  if (gone.status !== 204) throw new CaseFailure(`DELETE ${location} after the case: ${gone.status}`);
}

for (const [name, headers, body, expected] of [
  ['Upload-Offset ahead', { ...OCTETS, 'upload-offset': '3' }, 'lo', 409],
  ['Upload-Offset -1', { ...OCTETS, 'upload-offset': '-1' }, 'lo', 400],
  ['Upload-Offset abc', { ...OCTETS, 'upload-offset': 'abc' }, 'lo', 400],
  ['Upload-Offset of 20 digits', { ...OCTETS, 'upload-offset': '9'.repeat(20) }, 'lo', 400],
  ['no Upload-Offset', OCTETS, 'lo', [400, 403]],
  ['no Content-Type', { ...TUS, 'upload-offset': '0' }, 'lo', [400, 403, 415]],
  ['a JSON Content-Type', { ...TUS, 'upload-offset': '0', 'content-type': 'application/json' }, 'lo', [400, 403, 415]],
  ['no Tus-Resumable', { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }, 'lo', 412],
  ['more bytes than Upload-Length', { ...OCTETS, 'upload-offset': '0' }, 'hello world', 413],
  ['another Upload-Length', { ...OCTETS, 'upload-offset': '0', 'upload-length': '3' }, 'lo', [204, 400]],
  ['Upload-Checksum unknown', { ...OCTETS, 'upload-offset': '0', 'upload-checksum': 'md5 abc' }, 'lo', [204, 400]],
] as const) {
  add('tus', `PATCH with ${name}`, async (ctx) => {
    await withUpload(ctx, 5, async (location) => {
      const answer = await ctx.client.request({ method: 'PATCH', path: location, headers, body });
      checkAnswer(`PATCH with ${name}`, answer, expected, false);
    });
  });
}
add('tus', 'a stale offset, then the rest, then PATCH after the end', async (ctx) => {
  await withUpload(ctx, 5, async (location) => {
    const send = async (offset: number, bytes: string, expected: Expected) => {
      const answer = await ctx.client.request({
        method: 'PATCH',
        path: location,
        headers: { ...OCTETS, 'upload-offset': String(offset) },
        body: bytes,
      });
      checkAnswer(`PATCH at ${offset}`, answer, expected, false);
    };
    await send(0, 'he', 204);
    await send(0, 'he', 409);
    await send(2, 'llo', 204);
    await send(5, 'x', [404, 409, 413]);
    const head = await ctx.client.request({ method: 'HEAD', path: location, headers: TUS });
    checkAnswer('HEAD of a finished upload', head, 200, false);
    if (head.headers['upload-offset'] !== '5') throw new CaseFailure(`offset ${String(head.headers['upload-offset'])}`);
  });
});
add('tus', 'DELETE twice, then HEAD and PATCH', async (ctx) => {
  const created = await ctx.client.request({
    method: 'POST',
    path: '/uploads',
    headers: { ...TUS, 'upload-length': '5' },
  });
  checkAnswer('creation', created, 201, false);
  const location = String(created.headers.location);
  checkAnswer('DELETE', await ctx.client.request({ method: 'DELETE', path: location, headers: TUS }), 204, false);
  checkAnswer(
    'DELETE again',
    await ctx.client.request({ method: 'DELETE', path: location, headers: TUS }),
    [404, 410],
    false,
  );
  checkAnswer(
    'HEAD after DELETE',
    await ctx.client.request({ method: 'HEAD', path: location, headers: TUS }),
    [404, 410],
    false,
  );
  checkAnswer(
    'PATCH after DELETE',
    await ctx.client.request({
      method: 'PATCH',
      path: location,
      headers: { ...OCTETS, 'upload-offset': '0' },
      body: 'hello',
    }),
    [404, 410],
    false,
  );
});
add('tus', 'a deferred length set smaller than what was sent', async (ctx) => {
  const created = await ctx.client.request({
    method: 'POST',
    path: '/uploads',
    headers: { ...TUS, 'upload-defer-length': '1' },
  });
  checkAnswer('creation', created, 201, false);
  const location = String(created.headers.location);
  try {
    const first = await ctx.client.request({
      method: 'PATCH',
      path: location,
      headers: { ...OCTETS, 'upload-offset': '0' },
      body: 'abc',
    });
    checkAnswer('PATCH without a length', first, 204, false);
    const smaller = await ctx.client.request({
      method: 'PATCH',
      path: location,
      headers: { ...OCTETS, 'upload-offset': '3', 'upload-length': '1' },
      body: 'd',
    });
    checkAnswer('PATCH with a smaller length', smaller, 'refused', false);
  } finally {
    await ctx.client.helper({ method: 'DELETE', path: location, headers: TUS });
  }
});
http('tus', 'OPTIONS with garbage', {
  method: 'OPTIONS',
  path: '/uploads',
  headers: { 'access-control-request-headers': 'x'.repeat(4000) },
  expect: [200, 204],
});
http('tus', 'PATCH on the collection', {
  method: 'PATCH',
  path: '/uploads',
  headers: { ...OCTETS, 'upload-offset': '0' },
  body: 'x',
  expect: [400, 404, 405],
});
http('tus', 'create-zip of an upload that is not finished', {
  method: 'POST',
  path: '/tasks/create-zip',
  headers: JSON_TYPE,
  body: () => JSON.stringify({ uploads: [randomUUID(), randomUUID()] }),
  expect: 'answered',
});

// ---- Socket.IO -------------------------------------------------------------------------------

type Ack =
  { ok: true; task?: { id: string } } | { ok: false; error: { statusCode: number; error: string; message: string } };

/** An ack of a refusal in the contract's shape, with one of the statuses. */
function checkAck(what: string, ack: unknown, statuses: readonly number[]): void {
  const a = ack as Ack;
  if (a && typeof a === 'object' && a.ok === false && statuses.includes(a.error?.statusCode)) {
    if (typeof a.error.error === 'string' && typeof a.error.message === 'string') return;
  }
  throw new CaseFailure(`${what}: ack ${clip(JSON.stringify(ack))}`);
}

const SUBSCRIBE_PAYLOADS: Array<[string, Lazy<unknown[]>]> = [
  ['nothing', []],
  ['null', [null]],
  ['a number', [1]],
  ['a string', ['11111111-1111-4111-8111-111111111111']],
  ['an empty object', [{}]],
  ['an array', [[1, 2]]],
  ['a taskId that is a number', [{ taskId: 1 }]],
  ['a taskId that is null', [{ taskId: null }]],
  ['a taskId that is an array', (f) => [{ taskId: [f.quiet] }]],
  ['a taskId that is an object', (f) => [{ taskId: { toString: f.quiet } }]],
  ['a taskId of 100,000 characters', [{ taskId: 'x'.repeat(100_000) }]],
  ['a traversal taskId', [{ taskId: '../../x' }]],
  ['a taskId with SQL', [{ taskId: "x' OR '1'='1" }]],
  ['__proto__ holding the taskId', (f) => [JSON.parse(`{"__proto__":{"taskId":"${f.quiet}"}}`) as unknown]],
  ['a 100,000-element array', [Array.from({ length: 100_000 }, (_, i) => i)]],
  ['a binary payload', [Buffer.from('binary')]],
  ['two arguments', (f) => [{ taskId: 'x' }, { taskId: f.quiet }]],
  ['nesting 1,000 levels', [JSON.parse(nested(1000)) as unknown]],
];
for (const [name, payload] of SUBSCRIBE_PAYLOADS) {
  add('Socket.IO', `subscribe with ${name}`, async (ctx) => {
    const socket = await connected(ctx);
    checkAck(name, await ctx.client.emit(socket, 'subscribe', ...resolve(payload, ctx.fixtures)), [400]);
    checkAck(
      `unsubscribe with ${name}`,
      await ctx.client.emit(socket, 'unsubscribe', ...resolve(payload, ctx.fixtures)),
      [400],
    );
    await stillWorks(ctx, socket);
  });
}
add('Socket.IO', 'subscribe to unknown, deleted and nil ids', async (ctx) => {
  const socket = await connected(ctx);
  for (const taskId of [
    randomUUID(),
    randomUUID().toUpperCase(),
    ctx.fixtures.gone,
    '00000000-0000-0000-0000-000000000000',
  ]) {
    checkAck(`subscribe ${taskId}`, await ctx.client.emit(socket, 'subscribe', { taskId }), [404]);
  }
  await stillWorks(ctx, socket);
});
add('Socket.IO', '300 subscriptions at once', async (ctx) => {
  const socket = await connected(ctx);
  const acks = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      ctx.client.emit(socket, 'subscribe', { taskId: i % 3 === 0 ? ctx.fixtures.quiet : randomUUID() }),
    ),
  );
  acks.forEach((ack, i) => {
    if (i % 3 === 0) {
      if ((ack as Ack).ok !== true) throw new CaseFailure(`subscribe ${i}: ${clip(JSON.stringify(ack))}`);
    } else checkAck(`subscribe ${i}`, ack, [404]);
  });
  await stillWorks(ctx, socket);
});
add('Socket.IO', 'events nobody handles, and emits without an ack', async (ctx) => {
  const socket = await connected(ctx);
  for (const [event, ...args] of [
    ['subscribe', { taskId: ctx.fixtures.quiet }],
    ['subscribe'],
    ['nope', { a: 1 }],
    ['task.completed', { taskId: ctx.fixtures.quiet }],
    ['__proto__', {}],
    ['constructor'],
    ['x'.repeat(10_000)],
  ] as Array<[string, ...unknown[]]>) {
    ctx.client.count();
    socket.emit(event, ...args);
  }
  await stillWorks(ctx, socket);
});
add('Socket.IO', 'a message over the size limit closes that connection only', async (ctx) => {
  const socket = await connected(ctx);
  const ack = await ctx.client.emit(socket, 'subscribe', { taskId: 'x'.repeat(2_000_000) });
  // engine.io closes a connection whose message exceeds maxHttpBufferSize (1 MB); a smaller limit would answer.
  if (ack !== 'no ack') checkAck('2 MB taskId', ack, [400]);
  const other = await connected(ctx);
  await stillWorks(ctx, other);
});
for (const [name, frame] of [
  ['not a packet', 'garbage'],
  ['an unknown packet type', '9'],
  ['an event without a namespace separator', '2["subscribe"'],
  ['broken JSON', '2/tasks,["subscribe",{'],
  ['an event that is not an array', '2/tasks,{"subscribe":1}'],
  ['an ack for nothing', '3/tasks,99["x"]'],
  ['a binary event announcing 99 attachments', '599-/tasks,["subscribe",{"_placeholder":true,"num":98}]'],
  ['a placeholder without attachments', '2/tasks,["subscribe",{"_placeholder":true,"num":0}]'],
  ['a connect to an unknown namespace', '0/nope,'],
  ['a disconnect of another namespace', '1/other,'],
  ['a NUL', '\u0000'],
  ['100 KiB of 2s', '2'.repeat(100 * 1024)],
]) {
  add('Socket.IO', `a raw engine.io message: ${name}`, async (ctx) => {
    const socket = await connected(ctx);
    ctx.client.count();
    // A message packet with arbitrary content, below Socket.IO's parser: what a broken or hostile client sends.
    socket.io.engine.send(frame);
    // The server may drop this connection for it; it must not drop anything else.
    const other = await connected(ctx);
    await stillWorks(ctx, other);
  });
}
add('Socket.IO', 'an unknown namespace is refused', async (ctx) => {
  const socket = await ctx.client.socket('/nope');
  if (socket.connected) throw new CaseFailure('connected to /nope');
  socket.close();
});
for (const [name, method, query, body] of [
  ['EIO=3', 'GET', 'EIO=3&transport=polling', undefined],
  ['EIO=999', 'GET', 'EIO=999&transport=polling', undefined],
  ['an unknown transport', 'GET', 'EIO=4&transport=bogus', undefined],
  ['an unknown sid', 'GET', 'EIO=4&transport=polling&sid=nope', undefined],
  ['a sid of 5,000 characters', 'GET', `EIO=4&transport=polling&sid=${'s'.repeat(5000)}`, undefined],
  ['a POST handshake', 'POST', 'EIO=4&transport=polling', 'garbage'],
  ['a POST of 2 MB', 'POST', 'EIO=4&transport=polling', 'x'.repeat(2_000_000)],
  ['websocket without an upgrade', 'GET', 'EIO=4&transport=websocket', undefined],
  ['PUT', 'PUT', 'EIO=4&transport=polling', undefined],
] as const) {
  http('Socket.IO', `engine.io handshake: ${name}`, {
    method,
    path: `/socket.io/?${query}`,
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    body,
    expect: [400, 403, 404, 413],
    contract: false,
  });
}
add('Socket.IO', 'garbage packets on a long-polling session', async (ctx) => {
  const open = await ctx.client.request({ method: 'GET', path: '/socket.io/?EIO=4&transport=polling' });
  checkAnswer('handshake', open, 200, false);
  const { sid } = JSON.parse(open.body.slice(1)) as { sid: string };
  for (const body of [
    '40/tasks,',
    'garbage',
    '4' + 'x'.repeat(100),
    '\u001e\u001e',
    `42/tasks,["subscribe",${nested(5000)}]`,
    '1',
  ]) {
    const answer = await ctx.client.request({
      method: 'POST',
      path: `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`,
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body,
    });
    checkAnswer('POST on the session', answer, [200, 400], false);
  }
});

async function connected(ctx: Context) {
  const socket = await ctx.client.socket();
  if (!socket.connected) throw new CaseFailure('a Socket.IO client could not connect to /tasks');
  return socket;
}

/** The socket (or, when the server dropped it, the server) still answers a good subscribe. */
async function stillWorks(ctx: Context, socket: Awaited<ReturnType<typeof connected>>): Promise<void> {
  const live = socket.connected ? socket : await connected(ctx);
  const ack = (await ctx.client.emit(live, 'subscribe', { taskId: ctx.fixtures.quiet })) as Ack;
  if (ack.ok !== true || ack.task?.id !== ctx.fixtures.quiet)
    throw new CaseFailure(`good subscribe: ${clip(JSON.stringify(ack))}`);
  socket.close();
  live.close();
}

// ---- SSE ----------------------------------------------------------------------------------------

for (const [name, value, expected] of [
  ['abc', 'abc', 400],
  ['-1', '-1', 400],
  ['1.5', '1.5', 400],
  ['20 digits', '99999999999999999999', 400],
  ['2^53 + 1', '9007199254740993', 400],
  ['1e3', '1e3', 400],
  ['hex', '0x10', 400],
  ['4 KiB', 'x'.repeat(4096)],
  ['SQL', "1' OR '1'='1", 400],
  ['padded with spaces', ' 1 ', 200],
  ['far ahead', '999999999999999', [200, 204]],
  ['0', '0', 200],
] as const) {
  http('SSE', `Last-Event-ID ${name}`, {
    method: 'GET',
    path: (f) => `/tasks/${f.quiet}/events`,
    headers: { 'last-event-id': value },
    expect: expected ?? 400,
    firstChunkOnly: true,
  });
}
for (const [query, expected] of [
  ['lastEventId=abc', 400],
  ['lastEventId=1&lastEventId=2', 400],
  ['lastEventId[]=1', 200],
  ['lastEventId=', 200],
] as const) {
  http('SSE', `?${query}`, {
    method: 'GET',
    path: (f) => `/tasks/${f.quiet}/events?${query}`,
    expect: expected,
    firstChunkOnly: true,
  });
}
for (const [name, id] of [
  ['an unknown task', () => randomUUID()],
  ['a deleted task', (f: Fixtures) => f.gone],
  ['the nil UUID', () => '00000000-0000-0000-0000-000000000000'],
] as const) {
  http('SSE', `the stream of ${name}`, { method: 'GET', path: (f) => `/tasks/${id(f)}/events`, expect: 404 });
}
http('SSE', 'a finished task replays its log and ends', {
  method: 'GET',
  path: (f) => `/tasks/${f.done}/events`,
  expect: 200,
  then: (answer) => {
    if (!answer.body.includes('event: task.completed'))
      throw new CaseFailure(`no terminal event in ${clip(answer.body)}`);
  },
});
http('SSE', 'a finished task after its last event', {
  method: 'GET',
  path: (f) => `/tasks/${f.done}/events`,
  headers: { 'last-event-id': '999999999999999' },
  expect: 204,
});
http('SSE', 'Accept: application/json', {
  method: 'GET',
  path: (f) => `/tasks/${f.quiet}/events`,
  headers: { accept: 'application/json' },
  expect: 'answered',
  firstChunkOnly: true,
});
add('SSE', 'a reconnect storm: 3 rounds of 30 streams cut at once', async (ctx) => {
  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        ctx.client.request({
          method: 'GET',
          path: `/tasks/${i % 4 === 0 ? ctx.fixtures.done : ctx.fixtures.quiet}/events`,
          headers: { 'last-event-id': String(i) },
          firstChunkOnly: true,
        }),
      ),
    );
    answers.forEach((answer, i) => checkAnswer(`stream ${i} of round ${round}`, answer, [200, 204], true));
  }
  // And a stream after the storm still replays the log.
  const after = await ctx.client.request({
    method: 'GET',
    path: `/tasks/${ctx.fixtures.quiet}/events`,
    firstChunkOnly: true,
  });
  checkAnswer('a stream after the storm', after, 200, true);
  if (!/^(id: \d+\nevent: task\.created|: )/.test(after.body)) throw new CaseFailure(`first chunk ${clip(after.body)}`);
});

// ---- slow clients -------------------------------------------------------------------------------

/** How long past the idle timeout a stalled connection may stay before it counts as held forever. */
const boundOf = (ctx: Context) => ctx.target.idleTimeoutMs * 10;

add('slow clients', 'bodies that stall are cut after the idle timeout, and leave nothing', async (ctx) => {
  const upload = await ctx.client.helper({
    method: 'POST',
    path: '/uploads',
    headers: { ...TUS, 'upload-length': '100' },
  });
  const location = String(upload.headers.location);
  const heads = [
    `POST /tasks/countdown HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ticks":`,
    `POST /tasks/create-zip HTTP/1.1\r\nHost: x\r\nContent-Type: ${MP}\r\nContent-Length: 100000\r\n\r\n--${B}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\nhalf a file`,
    `POST /tasks/create-zip HTTP/1.1\r\nHost: x\r\nContent-Type: ${MP}\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n--${B}\r\nContent-Disposition: form-`,
    `PATCH ${location} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 100\r\n\r\nhello`,
    `POST /uploads HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 100\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 100\r\n\r\nhello`,
    `POST /tasks/countdown HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 100\r\n\r\n\x1f\x8b`,
  ];
  const connections = await Promise.all(heads.map(() => ctx.client.open()));
  connections.forEach((connection, i) => {
    ctx.client.count();
    connection.write(Buffer.from(heads[i], 'latin1'));
  });
  const closed = await Promise.all(connections.map((c) => c.closedWithin(boundOf(ctx))));
  closed.forEach((byServer, i) => {
    if (!byServer) throw new CaseFailure(`stalled body ${i} was not closed by the server`);
    // Cut without a 5xx (an answer, if any, is a 4xx).
    const status = /^HTTP\/1\.1 (\d{3})/.exec(connections[i].received)?.[1];
    if (status && Number(status) >= 500) throw new CaseFailure(`stalled body ${i}: ${connections[i].received}`);
  });
  // The tus PATCH kept what arrived: the client resumes from it.
  const head = await ctx.client.request({ method: 'HEAD', path: location, headers: TUS });
  checkAnswer('HEAD after the stall', head, 200, false);
  if (head.headers['upload-offset'] !== '5')
    throw new CaseFailure(`offset after the stall: ${String(head.headers['upload-offset'])}`);
  const gone = await ctx.client.helper({ method: 'DELETE', path: location, headers: TUS });
  if (gone.status !== 204) throw new CaseFailure(`DELETE ${location}: ${gone.status}`);
});
add(
  'slow clients',
  'slowloris: 50 connections trickling headers do not keep others out, and go once they stop',
  async (ctx) => {
    const connections = await Promise.all(Array.from({ length: 50 }, () => ctx.client.open()));
    for (const connection of connections) {
      ctx.client.count();
      connection.write('GET /tasks HTTP/1.1\r\nHost: x\r\n');
    }
    // A header line each, more often than the idle timeout, for two idle timeouts.
    const every = Math.max(50, Math.floor(ctx.target.idleTimeoutMs / 4));
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, every));
      for (const connection of connections) connection.write(`X-Slow-${i}: ${'s'.repeat(10)}\r\n`);
      if (i % 4 === 3) {
        checkAnswer(
          'a request while slowloris runs',
          await ctx.client.request({ method: 'GET', path: '/tasks?limit=1' }),
          200,
          true,
        );
      }
    }
    // Still sending, so not idle: none was cut (Node's headersTimeout, 60 s, is their limit).
    const cut = connections.filter((c) => c.isClosed).length;
    if (cut > 0) throw new CaseFailure(`${cut} trickling connections were closed while they were sending`);
    const closed = await Promise.all(connections.map((c) => c.closedWithin(boundOf(ctx))));
    if (closed.some((byServer) => !byServer))
      throw new CaseFailure('a slowloris connection that went silent was not closed');
  },
);
add('slow clients', '200 half-open connections are closed, and the app answers meanwhile', async (ctx) => {
  const connections = await Promise.all(Array.from({ length: 200 }, () => ctx.client.open()));
  // Half of them begin a request line and stop.
  connections.forEach((connection, i) => {
    if (i % 2 === 0) return;
    ctx.client.count();
    connection.write('GET /tas');
  });
  checkAnswer(
    'a request among 200 half-open connections',
    await ctx.client.request({ method: 'GET', path: '/health/live' }),
    200,
    false,
  );
  const closed = await Promise.all(connections.map((c) => c.closedWithin(boundOf(ctx))));
  const held = closed.filter((byServer) => !byServer).length;
  if (held > 0) throw new CaseFailure(`${held} half-open connections were not closed by the server`);
});
add('slow clients', 'a body trickled below the idle timeout is answered', async (ctx) => {
  const body = QUICK;
  const connection = await ctx.client.open();
  ctx.client.count();
  connection.write(
    `POST /tasks/countdown HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  const every = Math.max(20, Math.floor(ctx.target.idleTimeoutMs / 4));
  for (let i = 0; i < body.length; i += 6) {
    await new Promise((r) => setTimeout(r, every));
    connection.write(body.slice(i, i + 6));
  }
  await connection.closedWithin(boundOf(ctx));
  const status = /^HTTP\/1\.1 (\d{3})/.exec(connection.received)?.[1];
  if (status !== '202') throw new CaseFailure(`trickled body: ${clip(connection.received)}`);
  const id = /"id":"([0-9a-f-]{36})"/.exec(connection.received)?.[1];
  if (id) await deleteTask(ctx.client, id);
});
add('slow clients', 'a client that reads its download slowly, then goes', async (ctx) => {
  const connection = await ctx.client.open();
  ctx.client.count();
  connection.socket.pause();
  connection.write(`GET /tasks/${ctx.fixtures.done}/download HTTP/1.1\r\nHost: x\r\n\r\n`);
  await new Promise((r) => setTimeout(r, Math.floor(ctx.target.idleTimeoutMs / 2)));
  connection.socket.resume();
  // Keep-alive: the server closes it once it has been idle that long.
  if (!(await connection.closedWithin(boundOf(ctx)))) throw new CaseFailure('an idle keep-alive connection was kept');
  if (!/^HTTP\/1\.1 200 /.test(connection.received)) throw new CaseFailure(`download: ${clip(connection.received)}`);
});

// ---- races ------------------------------------------------------------------------------------

/** Answers of requests fired at once; a connection the server cut counts as `'cut'`. */
async function atOnce(ctx: Context, requests: HttpRequest[]): Promise<Array<Answer | 'cut'>> {
  return Promise.all(requests.map((r) => ctx.client.request(r).catch(() => 'cut' as const)));
}

function checkAll(what: string, answers: Array<Answer | 'cut'>, expected: readonly number[], cuts = false): Answer[] {
  return answers.flatMap((answer, i) => {
    if (answer === 'cut') {
      if (!cuts) throw new CaseFailure(`${what} #${i}: cut without an answer`);
      return [];
    }
    checkAnswer(`${what} #${i}`, answer, expected, contractOf('/tasks'));
    return [answer];
  });
}

/** Polls until `check` holds, at most 10 s. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new CaseFailure(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const taskGone = (ctx: Context, id: string) => async () =>
  (await ctx.client.helper({ method: 'GET', path: `/tasks/${id}` })).status === 404;

add('races', 'one Idempotency-Key 20 times at once: one task', async (ctx) => {
  const key = `race-${randomUUID()}`;
  const submit = (body: string): HttpRequest => ({
    method: 'POST',
    path: '/tasks/countdown',
    headers: { ...JSON_TYPE, 'idempotency-key': key },
    body,
  });
  const same = checkAll(
    'same input',
    await atOnce(
      ctx,
      Array.from({ length: 20 }, () => submit(QUICK)),
    ),
    [202],
  );
  const ids = new Set(same.map((a) => (JSON.parse(a.body) as { id: string }).id));
  if (ids.size !== 1) throw new CaseFailure(`one key made ${ids.size} tasks`);
  const other = checkAll(
    'another input',
    await atOnce(
      ctx,
      Array.from({ length: 20 }, (_, i) => submit(`{"ticks":${i + 2},"tickMs":0}`)),
    ),
    [422],
  );
  if (other.length !== 20) throw new CaseFailure('another input was answered otherwise');
  await deleteTask(ctx.client, [...ids][0]);
});
add('races', 'one new Idempotency-Key with 20 inputs at once: one wins, the others 422', async (ctx) => {
  const key = `race-${randomUUID()}`;
  const answers = checkAll(
    'inputs',
    await atOnce(
      ctx,
      Array.from({ length: 20 }, (_, i) => ({
        method: 'POST',
        path: '/tasks/countdown',
        headers: { ...JSON_TYPE, 'idempotency-key': key },
        body: `{"ticks":${i + 1},"tickMs":0}`,
      })),
    ),
    [202, 422],
  );
  const won = answers.filter((a) => a.status === 202);
  if (won.length !== 1) throw new CaseFailure(`${won.length} inputs were accepted under one key`);
  await deleteTask(ctx.client, (JSON.parse(won[0].body) as { id: string }).id);
});
for (const [name, path] of [
  ['a running task', '/tasks/countdown'],
  ['a task due later', '/tasks/countdown?delayMs=3600000'],
] as const) {
  add('races', `cancel, pause, resume, retry and DELETE at once on ${name}`, async (ctx) => {
    const { id } = await ctx.client.helperJson<{ id: string }>(
      { method: 'POST', path, headers: JSON_TYPE, body: '{"ticks":100,"tickMs":20}' },
      202,
    );
    const operations = ['cancel', 'pause', 'resume', 'retry'];
    checkAll(
      'operations',
      await atOnce(
        ctx,
        Array.from({ length: 30 }, (_, i) =>
          i % 5 === 4
            ? { method: 'DELETE', path: `/tasks/${id}` }
            : { method: 'POST', path: `/tasks/${id}/${operations[i % 5]}` },
        ),
      ),
      [202, 204, 404, 409],
    );
    await eventually(`task ${id} deleted`, taskGone(ctx, id));
  });
}
add('races', 'retry and DELETE at once on a failed task', async (ctx) => {
  const { id } = await ctx.client.helperJson<{ id: string }>(
    {
      method: 'POST',
      path: '/tasks/create-zip',
      headers: JSON_TYPE,
      body: JSON.stringify({ uploads: [randomUUID()] }),
    },
    202,
  );
  await resultOf(ctx, id);
  checkAll(
    'retry and DELETE',
    await atOnce(
      ctx,
      Array.from({ length: 20 }, (_, i) =>
        i % 2 ? { method: 'DELETE', path: `/tasks/${id}` } : { method: 'POST', path: `/tasks/${id}/retry` },
      ),
    ),
    [202, 204, 404, 409],
  );
  await eventually(`task ${id} deleted`, async () => {
    if (await taskGone(ctx, id)()) return true;
    await ctx.client.helper({ method: 'DELETE', path: `/tasks/${id}` });
    return false;
  });
});
add('races', 'bulk DELETE and bulk retry of failed tasks at once', async (ctx) => {
  for (let i = 0; i < 5; i++) {
    const { id } = await ctx.client.helperJson<{ id: string }>(
      {
        method: 'POST',
        path: '/tasks/create-zip',
        headers: JSON_TYPE,
        body: JSON.stringify({ uploads: [randomUUID()] }),
      },
      202,
    );
    await resultOf(ctx, id);
  }
  checkAll(
    'bulk calls',
    await atOnce(
      ctx,
      Array.from({ length: 20 }, (_, i) => ({
        method: i % 2 ? 'DELETE' : 'POST',
        path: i % 2 ? '/tasks?status=failed&type=create-zip' : '/tasks/retry?type=create-zip',
      })),
    ),
    [200],
  );
  // Retried ones fail again: delete until none is left.
  await eventually('failed create-zip tasks purged', async () => {
    await ctx.client.helper({ method: 'DELETE', path: '/tasks?status=failed&type=create-zip' });
    const list = await ctx.client.helper({ method: 'GET', path: '/tasks?type=create-zip&limit=100' });
    const items = (JSON.parse(list.body) as { items: Array<{ id: string }> }).items;
    return items.every((t) => t.id === ctx.fixtures.done);
  });
});
add('races', 'DELETE of a finished upload 10 times at once while tasks name it', async (ctx) => {
  const created = await ctx.client.helper({
    method: 'POST',
    path: '/uploads',
    headers: { ...OCTETS, 'upload-length': '11' },
    body: `r${randomUUID().slice(0, 10)}`,
  });
  const location = String(created.headers.location);
  if (created.status !== 201) throw new CaseFailure(`upload: ${created.status}`);
  const uploadId = location.split('/').pop()!;
  const answers = await atOnce(ctx, [
    ...Array.from({ length: 10 }, () => ({ method: 'DELETE', path: location, headers: TUS })),
    ...Array.from({ length: 5 }, () => ({
      method: 'POST',
      path: '/tasks/create-zip',
      headers: JSON_TYPE,
      body: JSON.stringify({ uploads: [uploadId] }),
    })),
  ]);
  const deletes = answers.slice(0, 10).map((a, i) => {
    if (a === 'cut') throw new CaseFailure(`DELETE #${i} cut`);
    checkAnswer(`DELETE #${i}`, a, [204, 404], 'if-json', 'DELETE');
    return a.status;
  });
  if (!deletes.includes(204)) throw new CaseFailure('no DELETE answered 204');
  for (const [i, answer] of checkAll('create-zip', answers.slice(10), [202]).entries()) {
    const { id } = JSON.parse(answer.body) as { id: string };
    await resultOf(ctx, id);
    await deleteTask(ctx.client, id);
    if (i === 0)
      checkAnswer(
        'HEAD after',
        await ctx.client.request({ method: 'HEAD', path: location, headers: TUS }),
        404,
        false,
        'HEAD',
      );
  }
});
add('races', 'a second DELETE of an upload whose content another upload shares', async (ctx) => {
  const bytes = `shared ${randomUUID()}`;
  const upload = async () => {
    const created = await ctx.client.helper({
      method: 'POST',
      path: '/uploads',
      headers: { ...OCTETS, 'upload-length': String(bytes.length) },
      body: bytes,
    });
    if (created.status !== 201) throw new CaseFailure(`upload: ${created.status}`);
    return String(created.headers.location);
  };
  const [a, b] = [await upload(), await upload()];
  checkAnswer('DELETE', await ctx.client.request({ method: 'DELETE', path: a, headers: TUS }), 204, false);
  checkAnswer('DELETE again', await ctx.client.request({ method: 'DELETE', path: a, headers: TUS }), 404, false);
  // The other upload still has its content (dedup stored it once).
  const zip = await ctx.client.helperJson<{ id: string }>(
    {
      method: 'POST',
      path: '/tasks/create-zip',
      headers: JSON_TYPE,
      body: JSON.stringify({ uploads: [b.split('/').pop()] }),
    },
    202,
  );
  const output = await resultOf(ctx, zip.id);
  await deleteTask(ctx.client, zip.id);
  const gone = await ctx.client.helper({ method: 'DELETE', path: b, headers: TUS });
  if (output === null) throw new CaseFailure('the upload sharing the content lost it');
  if (gone.status !== 204) throw new CaseFailure(`DELETE ${b}: ${gone.status}`);
});
add('races', '20 PATCHes at once at one offset', async (ctx) => {
  await withUpload(ctx, 1000, async (location) => {
    // tus lets the newest request take the upload's lock: the others end with a 409, a 423 or a cut connection.
    const answers = await atOnce(
      ctx,
      Array.from({ length: 20 }, () => ({
        method: 'PATCH',
        path: location,
        headers: { ...OCTETS, 'upload-offset': '0' },
        body: 'x'.repeat(100),
      })),
    );
    for (const [i, answer] of answers.entries()) {
      if (answer !== 'cut') checkAnswer(`PATCH #${i}`, answer, [204, 409, 423], false, 'PATCH');
    }
    const head = await ctx.client.request({ method: 'HEAD', path: location, headers: TUS });
    checkAnswer('HEAD', head, 200, false, 'HEAD');
    const offset = Number(head.headers['upload-offset']);
    if (offset !== 0 && offset !== 100) throw new CaseFailure(`offset ${offset} after the race`);
  });
});
add('races', 'subscribe while the task is deleted', async (ctx) => {
  const { id } = await ctx.client.helperJson<{ id: string }>(
    { method: 'POST', path: '/tasks/countdown?delayMs=3600000', headers: JSON_TYPE, body: QUICK },
    202,
  );
  const socket = await connected(ctx);
  const [acks] = await Promise.all([
    Promise.all(Array.from({ length: 20 }, () => ctx.client.emit(socket, 'subscribe', { taskId: id }))),
    ctx.client.request({ method: 'DELETE', path: `/tasks/${id}` }),
  ]);
  for (const ack of acks) if ((ack as Ack).ok !== true) checkAck('subscribe', ack, [404]);
  await eventually(`task ${id} deleted`, taskGone(ctx, id));
  checkAck('subscribe after', await ctx.client.emit(socket, 'subscribe', { taskId: id }), [404]);
});
add('races', 'an event stream of a task that is deleted ends', async (ctx) => {
  const { id } = await ctx.client.helperJson<{ id: string }>(
    { method: 'POST', path: '/tasks/countdown?delayMs=3600000', headers: JSON_TYPE, body: QUICK },
    202,
  );
  const stream = await ctx.client.open();
  ctx.client.count();
  stream.write(`GET /tasks/${id}/events HTTP/1.1\r\nHost: x\r\n\r\n`);
  await eventually('the stream to start', async () => stream.received.includes('task.created'));
  checkAnswer('DELETE', await ctx.client.request({ method: 'DELETE', path: `/tasks/${id}` }), [202, 204], true);
  // The keep-alive's check finds the task gone and ends the stream (chunked: the last chunk is 0).
  await eventually('the stream to end', async () => stream.received.endsWith('0\r\n\r\n') || stream.isClosed);
  stream.destroy();
});
