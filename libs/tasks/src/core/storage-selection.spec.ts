import type { FactoryProvider } from '@nestjs/common';
import { FilesystemStorage } from '../adapters/filesystem';
import { S3Storage } from '../adapters/s3';
import type { ObjectStorage } from '../ports';
import { portProviders } from './port-providers';
import { resolveOptions } from './resolved-options';
import type { TaskModuleOptions } from './task-module-options';
import { OBJECT_STORAGE } from './tokens';

const storageProvider = portProviders.find(
  (p): p is FactoryProvider => typeof p === 'object' && 'provide' in p && p.provide === OBJECT_STORAGE,
)!;
const storageFor = (options: TaskModuleOptions) =>
  storageProvider.useFactory(options, resolveOptions(options)) as Promise<ObjectStorage>;

const S3 = { bucket: 'stepwise', endpoint: 'http://127.0.0.1:9', accessKeyId: 'id', secretAccessKey: 'secret' };
const DISTRIBUTED = { mode: 'distributed', databaseUrl: 'postgres://db/x', redisUrl: 'redis://r' } as const;

describe('storage selection', () => {
  it('is the filesystem under dataDir without a bucket, in either mode', async () => {
    expect(await storageFor({ dataDir: '/tmp/x' })).toBeInstanceOf(FilesystemStorage);
    expect(await storageFor({ ...DISTRIBUTED, dataDir: '/tmp/x' })).toBeInstanceOf(FilesystemStorage);
    expect(await storageFor({ s3: { ...S3, bucket: '' } })).toBeInstanceOf(FilesystemStorage);
  });

  it('is S3 when s3.bucket is set, in either mode', async () => {
    const embedded = await storageFor({ s3: S3 });
    const distributed = await storageFor({ ...DISTRIBUTED, s3: S3 });
    expect(embedded).toBeInstanceOf(S3Storage);
    expect(distributed).toBeInstanceOf(S3Storage);
    (embedded as S3Storage).destroy();
    (distributed as S3Storage).destroy();
  });

  it('is the storage given as an override, whatever else is set', async () => {
    const mine = new FilesystemStorage('/tmp/mine');
    expect(await storageFor({ s3: S3, storage: mine })).toBe(mine);
  });
});

describe('presignDownloads option', () => {
  it('is resolved as given', () => {
    expect(resolveOptions({ presignDownloads: { expiresInSeconds: 600 } }).presignDownloads).toEqual({
      expiresInSeconds: 600,
    });
    expect(resolveOptions({}).presignDownloads).toBeUndefined();
  });

  it.each([0, -1, 1.5, 604_801, Number.NaN])('refuses expiresInSeconds %p at boot', (expiresInSeconds) => {
    expect(() => resolveOptions({ presignDownloads: { expiresInSeconds } })).toThrow(
      /presignDownloads.expiresInSeconds must be an integer from 1 to 604800/,
    );
  });
});
