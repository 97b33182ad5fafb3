import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { S3Server } from '../../../../../test/distributed/harness/s3-server';
import { describeObjectStorageContract, failingSource, readAll, sha256, streamOf } from '../testing/storage-contract';
import { createS3Client } from './s3-client';
import { S3Storage } from './s3-storage';

const MIB = 1024 * 1024;
const server = new S3Server();
let raw: S3Client;

beforeAll(async () => {
  await server.start();
  raw = createS3Client(server.storageOptions);
});
afterAll(async () => {
  raw?.destroy();
  await server.stop();
});

let prefixes = 0;
/** Each storage its own prefix of the one bucket: tests see only their objects. */
const storageUnder = (prefix = `t${++prefixes}/`, extra: Partial<ConstructorParameters<typeof S3Storage>[0]> = {}) =>
  new S3Storage({ ...server.storageOptions, prefix, ...extra });

describeObjectStorageContract('S3Storage on the test S3 server', async () => {
  const storage = storageUnder();
  return { storage, close: async () => storage.destroy() };
});

/** `count` MiB of data produced on demand; `onProgress` sees the bytes handed out so far. */
function generated(count: number, onProgress: (sent: number) => void = () => undefined): Readable {
  const block = randomBytes(MIB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= count * MIB) return void this.push(null);
      sent += MIB;
      this.push(block);
      onProgress(sent);
    },
  });
}

async function multipartUploadsUnder(prefix: string) {
  const out = await raw.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: prefix }));
  return out.Uploads ?? [];
}

/** The requests the server received for keys containing `fragment`. */
const requestsFor = (fragment: string) => server.requests.filter((r) => r.path.includes(fragment));

describe('S3Storage', () => {
  let storage: S3Storage;
  let prefix: string;

  beforeEach(() => {
    prefix = `s${++prefixes}/`;
    storage = storageUnder(prefix);
  });
  afterEach(() => storage.destroy());

  // "No multipart upload left" is asserted through the S3 API, on the server's parts (on s3rver,
  // its directory: no part file), and on the wire (the upload id that was created is the one aborted).
  it('aborts the multipart upload of a 30 MB stream cancelled mid-way: no object, no upload, no part', async () => {
    const abort = new AbortController();
    const source = generated(30, (sent) => {
      if (sent === 20 * MIB) abort.abort(new Error('cancelled'));
    });
    await expect(storage.put('abort/30mb.bin', source, { signal: abort.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(source.destroyed).toBe(true);
    expect(await storage.head('abort/30mb.bin')).toBeNull();
    expect(await multipartUploadsUnder(prefix)).toEqual([]);
    expect(await server.leftoverParts()).toEqual([]);

    const requests = requestsFor('30mb.bin');
    const created = requests.filter((r) => r.method === 'POST' && 'uploads' in r.query);
    const aborted = requests.filter((r) => r.method === 'DELETE' && typeof r.query.uploadId === 'string');
    expect(created).toHaveLength(1);
    expect(aborted).toHaveLength(1);
    expect(requests.some((r) => r.method === 'POST' && 'uploadId' in r.query)).toBe(false); // never completed
  });

  it('aborts the multipart upload when the source fails after several parts, rejecting with its error', async () => {
    const error = new Error('upstream reset');
    await expect(storage.put('fail/broken.bin', failingSource(20 * MIB, error, MIB))).rejects.toBe(error);
    expect(await storage.head('fail/broken.bin')).toBeNull();
    expect(await multipartUploadsUnder(prefix)).toEqual([]);
    expect(await server.leftoverParts()).toEqual([]);
  });

  it('rides out a transient 500 on a part (the SDK retries it) and stores the object intact', async () => {
    const fault = {
      match: (r: { method: string; path: string; query: object }) =>
        r.method === 'PUT' && 'partNumber' in r.query && r.path.includes('retry.bin'),
      times: 1,
      status: 500,
      code: 'InternalError',
    };
    server.fail(fault);
    const data = randomBytes(17 * MIB);
    const stored = await storage.put('retry.bin', streamOf(data, MIB));
    expect(fault.times).toBe(0);
    expect(stored.sha256).toBe(sha256(data));
    expect(sha256(await readAll(await storage.get('retry.bin')))).toBe(sha256(data));
  });

  it('rejects when completing the upload fails for good, leaving no object and no upload', async () => {
    server.fail({
      match: (r) => r.method === 'POST' && 'uploadId' in r.query && r.path.includes('complete-fails.bin'),
      times: 1,
      status: 400,
      code: 'InvalidPart',
    });
    await expect(storage.put('complete-fails.bin', generated(9))).rejects.toMatchObject({ name: 'InvalidPart' });
    expect(await storage.head('complete-fails.bin')).toBeNull();
    expect(await multipartUploadsUnder(prefix)).toEqual([]);
  });

  it('deletes a prefix page by page, at most 1000 keys per DeleteObjects request', async () => {
    // A stub client: 2500 keys on a server would take the suite long to create (see test/distributed).
    const keys = Array.from({ length: 2500 }, (_, i) => `p/many/${String(i).padStart(4, '0')}.txt`);
    const listed: Array<string | undefined> = [];
    const deleted: string[][] = [];
    const client = {
      send: async (command: object) => {
        if (command instanceof ListObjectsV2Command) {
          const { Prefix, ContinuationToken, MaxKeys } = command.input;
          expect(Prefix).toBe('p/many/');
          listed.push(ContinuationToken);
          const from = Number(ContinuationToken ?? 0);
          const to = Math.min(keys.length, from + (MaxKeys ?? 1000));
          return {
            Contents: keys.slice(from, to).map((Key) => ({ Key })),
            IsTruncated: to < keys.length,
            NextContinuationToken: String(to),
          };
        }
        if (command instanceof DeleteObjectsCommand) {
          deleted.push((command.input.Delete?.Objects ?? []).map((o) => o.Key!));
          return {};
        }
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    } as unknown as S3Client;
    await new S3Storage({ bucket: 'b', prefix: 'p/' }, client).deletePrefix('many/');
    expect(listed).toEqual([undefined, '1000', '2000']);
    expect(deleted.map((batch) => batch.length)).toEqual([1000, 1000, 500]);
    expect(deleted.flat()).toEqual(keys);
  });

  it('fails a prefix deletion when S3 reports keys it could not delete', async () => {
    const client = {
      send: async (command: object) =>
        command instanceof ListObjectsV2Command
          ? { Contents: [{ Key: 'a/1' }, { Key: 'a/2' }], IsTruncated: false }
          : { Errors: [{ Key: 'a/2', Code: 'AccessDenied', Message: 'Access Denied' }] },
    } as unknown as S3Client;
    await expect(new S3Storage({ bucket: 'b' }, client).deletePrefix('a/')).rejects.toThrow(
      /1 object\(s\) under "a\/" could not be deleted \(AccessDenied/,
    );
  });

  it('keeps every key under its prefix in the bucket; another prefix is invisible', async () => {
    const other = storageUnder(`${prefix}other/`);
    try {
      await storage.put('a.txt', Readable.from([Buffer.from('mine')]));
      await other.put('a.txt', Readable.from([Buffer.from('theirs')]));
      const listed = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
      expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([`${prefix}a.txt`, `${prefix}other/a.txt`]);
      expect((await readAll(await other.get('a.txt'))).toString()).toBe('theirs');
      const seen: string[] = [];
      for await (const o of other.list('')) seen.push(o.key);
      expect(seen).toEqual(['a.txt']);
    } finally {
      other.destroy();
    }
  });

  it('keeps the content type given to put', async () => {
    await storage.put('typed.json', Readable.from([Buffer.from('{}')]), { contentType: 'application/json' });
    expect(await storage.head('typed.json')).toMatchObject({ contentType: 'application/json', size: 2 });
  });

  it.each(['', '/absolute.txt', 'a//b.txt', 'a/./b.txt', 'a/../b.txt', 'a/\u0000.txt', 'tab\there.txt'])(
    'refuses the key %j, and lets go of the source',
    async (key) => {
      const source = Readable.from([Buffer.from('x')]);
      await expect(storage.put(key, source)).rejects.toMatchObject({ code: 'InvalidObjectKey' });
      expect(source.destroyed).toBe(true);
      await expect(storage.head(key)).rejects.toMatchObject({ code: 'InvalidObjectKey' });
    },
  );

  it('refuses a key longer than S3 allows once prefixed', async () => {
    await expect(storage.head('k'.repeat(1024))).rejects.toThrow(/longer than 1024 bytes/);
  });

  it('presigns a GET that reads the object without credentials, with the disposition and type asked for', async () => {
    const data = randomBytes(100_000);
    await storage.put('out/report.bin', streamOf(data));
    const url = await storage.presignGet('out/report.bin', {
      expiresInSeconds: 60,
      contentDisposition: 'attachment; filename="report.bin"',
      contentType: 'application/octet-stream',
    });
    expect(url).toMatch(new RegExp(`^${server.endpoint}/${server.bucket}/${prefix}out/report\\.bin\\?`));
    expect(url).toContain('X-Amz-Expires=60');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="report.bin"');
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    const ranged = await fetch(url, { headers: { Range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(10, 20))).toBe(true);
  });

  it('refuses a presign lifetime S3 would not honour', async () => {
    await expect(storage.presignGet('x', { expiresInSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(storage.presignGet('x', { expiresInSeconds: 604_801 })).rejects.toThrow(RangeError);
  });

  it('signs presigned URLs for the public endpoint when one is set', async () => {
    const publicEndpoint = `http://localhost:${server.port}`;
    const exposed = storageUnder(prefix, { publicEndpoint });
    try {
      const url = await exposed.presignGet('a.txt', { expiresInSeconds: 30 });
      expect(new URL(url).origin).toBe(publicEndpoint);
    } finally {
      exposed.destroy();
    }
  });

  it('reports a missing bucket as an error of its own, not as a missing object', async () => {
    const lost = new S3Storage({ ...server.storageOptions, bucket: 'no-such-bucket' });
    try {
      await expect(lost.ping()).rejects.toBeDefined();
      const error = await lost.get('a.txt').catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'NoSuchBucket' });
      expect((error as { code?: unknown }).code).not.toBe('NoSuchKey');
    } finally {
      lost.destroy();
    }
  });

  it('refuses a part size below the S3 minimum and credentials given by halves', () => {
    expect(() => new S3Storage({ ...server.storageOptions, partSize: MIB })).toThrow(/at least/);
    expect(() => new S3Storage({ bucket: 'b', accessKeyId: 'id-only' })).toThrow(/go together/);
  });
});
