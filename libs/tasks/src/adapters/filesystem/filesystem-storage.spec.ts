import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeObjectStorageContract, failingSource, slowSource } from '../testing/storage-contract';
import { FilesystemStorage } from './filesystem-storage';

describeObjectStorageContract('FilesystemStorage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stepwise-fs-'));
  return {
    storage: new FilesystemStorage(join(dir, 'objects')),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('FilesystemStorage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stepwise-fs-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Every file under `root`, relative. */
  async function files(root: string): Promise<string[]> {
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
  }

  it('leaves no temporary file behind an aborted or failed put', async () => {
    const storage = new FilesystemStorage(join(dir, 'objects'));
    const abort = new AbortController();
    const put = storage.put('t/slow.bin', slowSource(), { signal: abort.signal });
    setTimeout(() => abort.abort(), 30);
    await expect(put).rejects.toMatchObject({ name: 'AbortError' });
    await expect(storage.put('t/broken.bin', failingSource(1000, new Error('x')))).rejects.toThrow('x');
    expect(await files(join(dir, 'objects'))).toEqual([]);
  });

  it('writes nothing outside its root for a key that tries to leave it', async () => {
    const storage = new FilesystemStorage(join(dir, 'objects'));
    await expect(storage.put('../outside.txt', failingSource(0, new Error('unused')))).rejects.toThrow(
      /invalid object key/,
    );
    expect(await files(dir)).toEqual([]);
  });
});
