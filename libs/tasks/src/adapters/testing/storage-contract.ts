import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStorage } from '../../ports';

/** A storage under test, empty, and how to dispose of it. */
export interface StorageUnderTest {
  storage: ObjectStorage;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

/** Reads a stream to its end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `data` as a stream of chunks of `chunkSize` bytes. */
export function streamOf(data: Buffer, chunkSize = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return void this.push(null);
      this.push(data.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/**
 * A source that never ends by itself: a chunk every `intervalMs`, like a
 * slow client. `destroyed` tells whether the storage let go of it.
 */
export function slowSource(chunk = Buffer.alloc(1024, 's'), intervalMs = 5): Readable {
  let timer: NodeJS.Timeout | undefined;
  return new Readable({
    read() {
      timer ??= setInterval(() => this.push(chunk), intervalMs);
    },
    destroy(error, callback) {
      clearInterval(timer);
      callback(error);
    },
  });
}

/** Emits `before` bytes, then fails with `error`. */
export function failingSource(before: number, error: Error, chunkSize = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= before) return void this.destroy(error);
      const size = Math.min(chunkSize, before - sent);
      sent += size;
      this.push(Buffer.alloc(size, 'f'));
    },
  });
}

async function listAll(storage: ObjectStorage, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of storage.list(prefix)) out.push(info);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * The behaviour every `ObjectStorage` adapter must have, run on each one
 * (the filesystem in `npm test`, S3 on the test harness's server in `npm test` too). `make`
 * gives a fresh, empty storage for each test.
 */
export function describeObjectStorageContract(name: string, make: () => Promise<StorageUnderTest>): void {
  describe(`ObjectStorage contract: ${name}`, () => {
    let subject: StorageUnderTest;
    let storage: ObjectStorage;

    beforeEach(async () => {
      subject = await make();
      storage = subject.storage;
    });
    afterEach(() => subject.close());

    it('answers ping', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    it('round-trips a streamed object, returning its size and SHA-256', async () => {
      const data = randomBytes(300 * 1024 + 7);
      const stored = await storage.put('tasks/t1/input/0-a.bin', streamOf(data, 10_000));
      expect(stored).toEqual({ key: 'tasks/t1/input/0-a.bin', size: data.length, sha256: sha256(data) });
      expect((await readAll(await storage.get('tasks/t1/input/0-a.bin'))).equals(data)).toBe(true);
    });

    it('round-trips an object of several multipart parts (20 MiB) byte for byte', async () => {
      const block = randomBytes(MIB);
      const data = Buffer.concat(Array.from({ length: 20 }, (_, i) => Buffer.concat([block, Buffer.from([i])])));
      const stored = await storage.put('big/20mib.bin', streamOf(data, 256 * 1024));
      expect(stored.size).toBe(data.length);
      expect(stored.sha256).toBe(sha256(data));
      expect(sha256(await readAll(await storage.get('big/20mib.bin')))).toBe(sha256(data));
    });

    it('stores an empty object', async () => {
      const stored = await storage.put('empty.txt', Readable.from([]));
      expect(stored).toEqual({ key: 'empty.txt', size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(await storage.head('empty.txt')).toMatchObject({ key: 'empty.txt', size: 0 });
      expect((await readAll(await storage.get('empty.txt'))).length).toBe(0);
    });

    it('keeps unicode and spaces in keys', async () => {
      const key = 'tasks/t1/input/0-résumé 2024 (final).pdf';
      await storage.put(key, Readable.from([Buffer.from('x')]));
      expect(await storage.head(key)).toMatchObject({ key, size: 1 });
      expect((await listAll(storage, 'tasks/t1/')).map((o) => o.key)).toEqual([key]);
    });

    it('replaces an object on a second put', async () => {
      await storage.put('k.txt', Readable.from([Buffer.from('first version')]));
      await storage.put('k.txt', Readable.from([Buffer.from('second')]));
      expect((await readAll(await storage.get('k.txt'))).toString()).toBe('second');
      expect((await storage.head('k.txt'))?.size).toBe(6);
    });

    it('reads inclusive byte ranges', async () => {
      const data = Buffer.from('0123456789abcdefghij');
      await storage.put('r.txt', streamOf(data, 3));
      const range = async (start: number, end: number) =>
        (await readAll(await storage.get('r.txt', { start, end }))).toString();
      expect(await range(0, 0)).toBe('0');
      expect(await range(2, 5)).toBe('2345');
      expect(await range(15, 19)).toBe('fghij');
      expect(await range(0, 19)).toBe(data.toString());
    });

    it('reads a range far inside a large object without reading it all', async () => {
      const data = randomBytes(9 * MIB + 5);
      await storage.put('big/range.bin', streamOf(data));
      const start = 8 * MIB - 3;
      const got = await readAll(await storage.get('big/range.bin', { start, end: start + 9 }));
      expect(got.equals(data.subarray(start, start + 10))).toBe(true);
    });

    it('heads an object: size and modification time; null when missing', async () => {
      const before = Date.now();
      await storage.put('h/a.txt', Readable.from([Buffer.from('hello')]), { contentType: 'text/plain' });
      const info = await storage.head('h/a.txt');
      expect(info).toMatchObject({ key: 'h/a.txt', size: 5 });
      expect(typeof info!.contentType).toBe('string');
      // Some servers keep whole seconds.
      expect(info!.lastModified).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(info!.lastModified).toBeLessThanOrEqual(Date.now() + 1000);
      expect(await storage.head('h/missing.txt')).toBeNull();
    });

    it('rejects a get of a missing object with code NoSuchKey', async () => {
      await expect(storage.get('nope/missing.bin')).rejects.toMatchObject({ code: 'NoSuchKey' });
      await expect(storage.get('nope/missing.bin', { start: 0, end: 3 })).rejects.toMatchObject({ code: 'NoSuchKey' });
    });

    it('deletes an object; deleting a missing one is no error', async () => {
      await storage.put('d/a.txt', Readable.from([Buffer.from('a')]));
      await storage.delete('d/a.txt');
      expect(await storage.head('d/a.txt')).toBeNull();
      await expect(storage.delete('d/a.txt')).resolves.toBeUndefined();
    });

    it('deletes a prefix and only what is under it', async () => {
      const keys = ['tasks/a/1.txt', 'tasks/a/sub/2.txt', 'tasks/ab/3.txt', 'other/tasks/a/4.txt', 'tasks/b/5.txt'];
      for (const key of keys) await storage.put(key, Readable.from([Buffer.from(key)]));
      await storage.deletePrefix('tasks/a/');
      expect((await listAll(storage, '')).map((o) => o.key)).toEqual([
        'other/tasks/a/4.txt',
        'tasks/ab/3.txt',
        'tasks/b/5.txt',
      ]);
      await expect(storage.deletePrefix('tasks/none/')).resolves.toBeUndefined();
    });

    it('lists the objects under a prefix with their sizes', async () => {
      await storage.put('tasks/x/input/0-a.txt', Readable.from([Buffer.from('aa')]));
      await storage.put('tasks/x/output/r.zip', Readable.from([Buffer.from('rrr')]));
      await storage.put('tasks/xy/input/0-b.txt', Readable.from([Buffer.from('b')]));
      await storage.put('elsewhere.txt', Readable.from([Buffer.from('e')]));
      const listed = await listAll(storage, 'tasks/x/');
      expect(listed.map((o) => [o.key, o.size])).toEqual([
        ['tasks/x/input/0-a.txt', 2],
        ['tasks/x/output/r.zip', 3],
      ]);
      for (const info of listed) expect(info.lastModified).toBeGreaterThan(0);
      expect((await listAll(storage, 'tasks/')).map((o) => o.key)).toEqual([
        'tasks/x/input/0-a.txt',
        'tasks/x/output/r.zip',
        'tasks/xy/input/0-b.txt',
      ]);
      expect(await listAll(storage, 'nothing/')).toEqual([]);
    });

    it('aborts a put mid-stream: it rejects, lets go of the source and leaves no object', async () => {
      const source = slowSource();
      const abort = new AbortController();
      const put = storage.put('a/slow.bin', source, { signal: abort.signal });
      await new Promise((r) => setTimeout(r, 60));
      abort.abort(new Error('cancelled by the test'));
      await expect(put).rejects.toMatchObject({ name: 'AbortError' });
      expect(source.destroyed).toBe(true);
      expect(await storage.head('a/slow.bin')).toBeNull();
      expect(await listAll(storage, 'a/')).toEqual([]);
    });

    it('refuses a put whose signal already fired, storing nothing', async () => {
      const abort = new AbortController();
      abort.abort();
      const source = Readable.from([Buffer.from('never stored')]);
      await expect(storage.put('a/pre.bin', source, { signal: abort.signal })).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(await storage.head('a/pre.bin')).toBeNull();
    });

    it('fails a put whose source fails, with the source error, leaving no object', async () => {
      const error = new Error('client went away');
      await expect(storage.put('f/broken.bin', failingSource(200 * 1024, error))).rejects.toBe(error);
      expect(await storage.head('f/broken.bin')).toBeNull();
      expect(await listAll(storage, 'f/')).toEqual([]);
    });

    it('keeps the previous object when a put over it fails', async () => {
      await storage.put('f/kept.txt', Readable.from([Buffer.from('old content')]));
      await expect(storage.put('f/kept.txt', failingSource(10, new Error('boom')))).rejects.toThrow('boom');
      expect((await readAll(await storage.get('f/kept.txt'))).toString()).toBe('old content');
    });

    it.each(['../escape.txt', 'tasks/../../escape.txt', 'a/../../../etc/passwd'])(
      'refuses the key %s, which would leave the storage',
      async (key) => {
        await expect(storage.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(/invalid object key/);
        await expect(storage.get(key)).rejects.toThrow(/invalid object key/);
        await expect(storage.delete(key)).rejects.toThrow(/invalid object key/);
        await expect(storage.deletePrefix(`${key}/`)).rejects.toThrow(/invalid object key/);
        expect(await listAll(storage, '')).toEqual([]);
      },
    );
  });
}
