import { createHash, randomBytes } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import * as tus from 'tus-js-client';
import { createS3Client } from '../../libs/tasks/src/adapters/s3/s3-client';
import { Cluster, waitFor } from './harness/cluster';
import { S3Server } from './harness/s3-server';
import { unzip } from '../../libs/examples/src/testing/unzip';

const MIB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Resumable uploads in the distributed deployment: two API instances (one
 * Redis locker, one PostgreSQL registry), a worker, S3 storage (the harness's server).
 * An upload started on one instance is resumed on the other, zipped by the
 * worker straight from S3; identical uploads are stored once; deleting
 * uploads leaves no object behind.
 */
describe('resumable uploads across API instances on S3', () => {
  const s3 = new S3Server('stepwise-uploads');
  let cluster: Cluster;
  let raw: S3Client;

  beforeAll(async () => {
    await s3.start();
    raw = createS3Client(s3.storageOptions);
    cluster = new Cluster({ apis: 2, workers: 1, env: { ...s3.env, S3_PREFIX: 'app/' } });
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    raw?.destroy();
    await s3.stop();
  }, 60_000);

  /** Keys in the bucket under `app/uploads/`. */
  const uploadObjects = async (): Promise<string[]> => {
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'app/uploads/' }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  };

  function upload(apiIndex: number, data: Buffer, options: Partial<tus.UploadOptions> = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const u = new tus.Upload(data, {
        endpoint: cluster.apiUrl(apiIndex, '/uploads'),
        metadata: { filename: 'big.bin' },
        chunkSize: 5 * MIB, // S3 parts: all but the last at least 5 MiB
        retryDelays: [],
        storeFingerprintForResuming: false,
        ...options,
        onError: reject,
        onSuccess: () => resolve(u.url!),
      });
      u.start();
    });
  }

  const idOf = (url: string) => url.split('/').pop()!;

  it('resumes on the second instance an upload cut on the first, then zips it on the worker', async () => {
    await cluster.diagnose(async () => {
      const data = randomBytes(12 * MIB + 321);
      let url = '';
      await new Promise<void>((resolve, reject) => {
        const first = new tus.Upload(data, {
          endpoint: cluster.apiUrl(0, '/uploads'),
          metadata: { filename: 'big.bin' },
          chunkSize: 5 * MIB,
          retryDelays: [],
          storeFingerprintForResuming: false,
          onError: reject,
          onChunkComplete: (_chunk, accepted) => {
            url = first.url!;
            if (accepted >= 5 * MIB) void first.abort().then(resolve, reject);
          },
        });
        first.start();
      });
      const resumedAt = new URL(url, cluster.apiUrl(1, '/')).pathname;
      const partial = await cluster.fetchFrom(1, resumedAt, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
      expect(partial.status).toBe(200);
      const offset = Number(partial.headers.get('upload-offset'));
      expect(offset).toBeGreaterThanOrEqual(5 * MIB);

      let firstProgress = -1;
      await upload(1, data, {
        uploadUrl: cluster.apiUrl(1, resumedAt),
        onProgress: (sent) => {
          if (firstProgress < 0) firstProgress = sent;
        },
      });
      expect(firstProgress).toBeGreaterThanOrEqual(offset);

      const res = await cluster.fetch('/tasks/create-zip', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uploads: [idOf(url)], outputName: 'big.zip' }),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const done = await cluster.waitForStatus(id, ['completed', 'failed'], 30_000);
      expect(done.status).toBe('completed');
      const zip = Buffer.from(await (await cluster.fetchFrom(1, `/tasks/${id}/download`)).arrayBuffer());
      const entries = await unzip(zip);
      expect([...entries.keys()]).toEqual(['big.bin']);
      expect(sha256(entries.get('big.bin')!)).toBe(sha256(data));
    })();
  }, 90_000);

  it('answers a creation that carries the whole file 201 with its Location, and one too long 413 leaving nothing', async () => {
    await cluster.diagnose(async () => {
      const before = await uploadObjects();
      const create = (body: string, length: number) =>
        cluster.fetchFrom(0, '/uploads', {
          method: 'POST',
          headers: {
            'Tus-Resumable': '1.0.0',
            'Upload-Length': String(length),
            'Content-Type': 'application/offset+octet-stream',
          },
          body,
        });
      const whole = await create('s3!!', 4);
      expect(whole.status).toBe(201);
      expect(whole.headers.get('upload-offset')).toBe('4');
      const url = whole.headers.get('location')!;
      const finished = await cluster.fetchFrom(1, new URL(url, cluster.apiUrl(1, '/')).pathname, {
        method: 'HEAD',
        headers: { 'Tus-Resumable': '1.0.0' },
      });
      expect(finished.status).toBe(200);
      expect(finished.headers.get('upload-offset')).toBe('4');
      expect(await uploadObjects()).toEqual([...before, `app/uploads/${idOf(url)}`].sort());

      const tooLong = await create('longer than four', 4);
      expect(tooLong.status).toBe(413);
      expect(tooLong.headers.get('location')).toBeNull();
      expect(await uploadObjects()).toEqual([...before, `app/uploads/${idOf(url)}`].sort());
    })();
  }, 60_000);

  it('stores identical uploads once in the bucket, and deleting them all leaves nothing', async () => {
    await cluster.diagnose(async () => {
      const before = await uploadObjects();
      const data = randomBytes(MIB);
      const a = await upload(0, data);
      const b = await upload(1, data);
      const added = (await uploadObjects()).filter((k) => !before.includes(k));
      // One object holds both, and the metadata tus keeps of an upload in progress is gone.
      expect(added).toEqual([`app/uploads/${idOf(a)}`]);

      const del = (index: number, url: string) =>
        cluster.fetchFrom(index, new URL(url, cluster.apiUrl(index, '/')).pathname, {
          method: 'DELETE',
          headers: { 'Tus-Resumable': '1.0.0' },
        });
      expect((await del(1, a)).status).toBe(204);
      expect(await uploadObjects()).toEqual([...before, `app/uploads/${idOf(a)}`].sort());
      expect((await del(0, b)).status).toBe(204);
      await waitFor(async () => (await uploadObjects()).length === before.length, {
        what: () => 'the shared content to be deleted',
      });
      expect(await uploadObjects()).toEqual(before);
    })();
  }, 60_000);
});
