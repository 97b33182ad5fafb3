import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';

/**
 * Every multipart oddity we could think of, fired at the real app (a child
 * process, so that a crash is a dead process and not a failed assertion).
 * Each must get a 4xx answer (or a closed socket when the client itself
 * broke off), the process must stay up, and nothing may stay in storage.
 */
describe('multipart oddities against a running app', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-oddities-'));
  let port: number;
  let app: AppProcess;

  beforeAll(async () => {
    port = await freePort();
    app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, {
      PORT: String(port),
      DATA_DIR: dataDir,
      TASKS_MODE: 'embedded',
      UPLOAD_MAX_FILE_SIZE: '64k',
      UPLOAD_MAX_FILES: '3',
    });
    await app.start(async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok);
  }, 120_000);

  afterAll(async () => {
    await app?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const B = 'BB';
  const CT = `multipart/form-data; boundary=${B}`;
  const part = (disposition: string | null, body: string, extra = '') =>
    `--${B}\r\n${disposition === null ? '' : `Content-Disposition: ${disposition}\r\n`}${extra}\r\n${body}\r\n`;
  const end = `--${B}--\r\n`;
  const file = (body = 'hello', name = 'a.txt') => part(`form-data; name="files"; filename="${name}"`, body);

  /** [what, content type, body, extra headers]: each must be refused with a 4xx. */
  const refused: Array<[string, string, string, Record<string, string>?]> = [
    ['a file part without a name', CT, part('form-data; filename="a.txt"', 'no name') + end],
    ['a field part without a name', CT, part('form-data', 'value') + file() + end],
    ['a part without Content-Disposition', CT, part(null, 'orphan') + end],
    ['a file part under another name', CT, part('form-data; name="other"; filename="a.txt"', 'x') + end],
    ['"files" sent as a text field', CT, part('form-data; name="files"', 'x') + end],
    ['no boundary parameter', 'multipart/form-data', file() + end],
    ['an empty boundary', 'multipart/form-data; boundary=', file() + end],
    ['a boundary of 71 characters', `multipart/form-data; boundary=${'b'.repeat(71)}`, file() + end],
    ['a body without the boundary', CT, 'just some bytes, no parts at all'],
    ['an empty body', CT, ''],
    ['only a preamble and the end', CT, `preamble\r\n${end}`],
    ['no closing boundary', CT, file()],
    ['a body cut inside the part headers', CT, `--${B}\r\nContent-Disposition: form-da`],
    ['part headers of 100 KiB', CT, part(`form-data; name="files"; filename="${'n'.repeat(100 * 1024)}"`, 'x') + end],
    ['a field of 200 KiB', CT, part('form-data; name="input"', 'v'.repeat(200 * 1024)) + file() + end],
    ['too many files', CT, file('1') + file('2') + file('3') + file('4') + end],
    ['a file over the size limit', CT, file('z'.repeat(70 * 1024)) + end],
    ['too many fields', CT, Array.from({ length: 200 }, (_, i) => part(`form-data; name="f${i}"`, 'v')).join('') + end],
    ['LF line endings only', CT, `--${B}\nContent-Disposition: form-data; name="files"; filename="a"\n\nx\n--${B}--\n`],
    [
      'a nested multipart/mixed part',
      CT,
      part('form-data; name="files"', `--CC\r\n\r\nx\r\n--CC--`, 'Content-Type: multipart/mixed; boundary=CC\r\n') +
        end,
    ],
    ['a gzip Content-Encoding that is not gzip', CT, file() + end, { 'content-encoding': 'gzip' }],
    ['an unknown Content-Encoding', CT, file() + end, { 'content-encoding': 'br2' }],
    [
      'a field that is not valid input',
      CT,
      part('form-data; name="outputName"', '../../etc/passwd\u0000') + file() + end,
    ],
    ['a field as JSON that is not JSON', CT, part('form-data; name="input"', '{"oops"') + file() + end],
  ];

  // Rows as objects: with a shorter row Jest would pass its done callback as the missing argument.
  const refusedRows = refused.map(([what, contentType, body, headers = {}]) => ({ what, contentType, body, headers }));
  it.each(refusedRows)('$what: a 4xx JSON error, the app still up', async ({ contentType, body, headers }) => {
    const res = await fetch(`http://127.0.0.1:${port}/tasks/create-zip`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...headers },
      body,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const error = (await res.json()) as { statusCode: number; message: string };
    expect(error.statusCode).toBe(res.status);
    expect(typeof error.message).toBe('string');
    await expectAlive();
  });

  /** Odd but legal: accepted, and the file names are made safe. */
  const accepted: Array<[string, string]> = [
    ['a traversal file name', file('x', '../../../etc/passwd')],
    ['a file name of dots', file('x', '..')],
    ['an empty file name next to a real one', file('', '') + file('x')],
    ['an RFC 5987 file name', part(`form-data; name="files"; filename*=UTF-8''%E2%82%AC.txt`, 'x')],
    ['a garbage media type', part('form-data; name="files"; filename="a"', 'x', 'Content-Type: ;;;//\r\n')],
    [
      'a base64 transfer encoding header',
      part('form-data; name="files"; filename="a"', 'eA==', 'Content-Transfer-Encoding: base64\r\n'),
    ],
    ['an unknown field with a name of 1 KiB', part(`form-data; name="${'f'.repeat(1024)}"`, 'v') + file()],
    [
      'duplicate Content-Disposition headers',
      part('form-data; name="files"; filename="a"', 'x', 'Content-Disposition: form-data; name="x"\r\n'),
    ],
  ];

  it.each(accepted)('%s: accepted or refused with a 4xx, never a 5xx', async (_what, body) => {
    const res = await fetch(`http://127.0.0.1:${port}/tasks/create-zip`, {
      method: 'POST',
      headers: { 'content-type': CT },
      body: body + end,
    });
    expect(res.status).toBeLessThan(500);
    if (res.status === 202) {
      const { id } = (await res.json()) as { id: string };
      const view = await waitTerminal(id);
      expect(view.status).toBe('completed');
      for (const name of view.output?.entries?.map((e) => e.name) ?? []) {
        expect(name).not.toMatch(/(^|\/)\.\.(\/|$)/);
        expect(name.startsWith('/')).toBe(false);
      }
      expect((await fetch(`http://127.0.0.1:${port}/tasks/${id}`, { method: 'DELETE' })).status).toBe(204);
    }
    await expectAlive();
  });

  it('clients that break off mid-part, mid-headers or before the end leave the app up', async () => {
    const cuts = [
      `--${B}\r\nContent-Disposition: form-data; name="files"; filename="a"\r\n\r\n${'x'.repeat(10_000)}`,
      `--${B}\r\nContent-Dispo`,
      `--${B}\r\nContent-Disposition: form-data; filename="a"\r\n\r\nno name, then gone`,
    ];
    for (const cut of cuts) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `POST /tasks/create-zip HTTP/1.1\r\nHost: x\r\nContent-Type: ${CT}\r\nContent-Length: 1000000\r\n\r\n${cut}`,
          );
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
      await expectAlive();
    }
  });

  it('leaves nothing in storage after all of it', async () => {
    // The refusals above cleaned up after themselves: no task, no stored file.
    const list = (await (await fetch(`http://127.0.0.1:${port}/tasks?limit=100`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(0);
    expect(storedFiles(dataDir)).toEqual([]);
  });

  async function expectAlive(): Promise<void> {
    expect(app.pid).toBeDefined();
    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(live.status).toBe(200);
  }

  async function waitTerminal(id: string) {
    type View = { status: string; output?: { entries?: Array<{ name: string }> } };
    const deadline = Date.now() + 10_000;
    for (;;) {
      const view = (await (await fetch(`http://127.0.0.1:${port}/tasks/${id}`)).json()) as View;
      if (['completed', 'failed', 'cancelled'].includes(view.status)) {
        const result = await fetch(`http://127.0.0.1:${port}/tasks/${id}/result`);
        return { ...view, output: result.ok ? ((await result.json()) as View['output']) : undefined };
      }
      if (Date.now() > deadline) throw new Error(`task ${id} still ${view.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

/** Stored files under the data directory, outside the database and the tus staging area. */
function storedFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (!/\.(db|sqlite)(-wal|-shm|-journal)?$/.test(entry)) found.push(full.slice(dir.length));
    }
  };
  walk(dir);
  return found;
}
