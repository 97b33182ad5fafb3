import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';
import {
  download,
  peakRss,
  postMultipart,
  pseudoRandom,
  unzipHashes,
  waitForTerminal,
  type TaskView,
} from '../support/large-file';

/**
 * A 200 MiB file through the whole create-zip path of the built API, as a
 * child process in embedded mode (filesystem storage): a real multipart
 * upload streamed from this process, the ZIP made by the in-process worker,
 * the download streamed to disk and unzipped by yauzl, streaming. Nothing of
 * the file is ever held whole in memory, here or in the API: the API's peak
 * RSS (VmHWM) stays bounded.
 */
const MIB = 1024 * 1024;
const SIZE = 200 * MIB;
/** Generous: a Nest app idles at ~100 MB; a buffered 200 MiB file would push it well past this. */
const MAX_API_RSS = 400 * MIB;
const ENTRY = 'large.bin';

describe('a 200 MiB file through upload, ZIP and download (embedded, filesystem)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-large-'));
  const scratch = mkdtempSync(join(tmpdir(), 'stepwise-large-dl-'));
  let port: number;
  let app: AppProcess | undefined;
  /** The API's peak RSS once started, before the file: what the test adds is the difference. */
  let bootPeak = 0;

  beforeAll(async () => {
    port = await freePort();
    app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, {
      NO_COLOR: '1',
      PORT: String(port),
      DATA_DIR: dataDir,
      TASKS_MODE: 'embedded',
      TASKS_SWEEP_INTERVAL_MS: '200',
    });
    await app.start(async () => (await fetch(`http://127.0.0.1:${port}/tasks?limit=1`)).ok, 30_000);
    bootPeak = peakRss(app.pid!);
  }, 120_000);

  afterAll(async () => {
    await app?.kill();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('zips it and serves it back, the entry identical (SHA-256), in bounded memory', async () => {
    const source = pseudoRandom(SIZE, 'stepwise large-file e2e');
    const submitted = await postMultipart(port, '/tasks/create-zip', { outputName: 'large.zip' }, ENTRY, SIZE, source);
    expect(submitted.status).toBe(202);
    const sourceHash = source.sha256();
    expect(source.bytes()).toBe(SIZE);

    const id = (JSON.parse(submitted.body) as TaskView).id;
    const view = await waitForTerminal(port, id, 60_000);
    expect(view).toMatchObject({ status: 'completed', error: null });

    const result = (await (await fetch(`http://127.0.0.1:${port}/tasks/${id}/result`)).json()) as {
      output: { name: string; size: number; entries: Array<{ name: string; size: number }> };
    };
    expect(result.output.entries).toEqual([{ name: ENTRY, size: SIZE }]);

    // Download to disk (streamed), hashing the ZIP on the way.
    const zipPath = join(scratch, 'large.zip');
    const { res, bytes: zipBytes, sha256: zipSha256 } = await download(port, `/tasks/${id}/download`, zipPath);
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(result.output.size);
    expect(zipBytes).toBe(result.output.size);
    // The ETag is the SHA-256 the storage measured while the ZIP was written.
    expect(res.headers.etag).toBe(`"${zipSha256}"`);

    const entries = await unzipHashes(zipPath);
    expect(entries).toEqual([{ name: ENTRY, size: SIZE, sha256: sourceHash }]);

    const peak = peakRss(app!.pid!);
    // Visible in the test output, for the record.
    process.stdout.write(
      `large-file e2e: API VmHWM ${(peak / MIB).toFixed(1)} MiB (${(bootPeak / MIB).toFixed(1)} MiB after start)\n`,
    );
    expect(peak).toBeLessThan(MAX_API_RSS);
  }, 120_000);
});
