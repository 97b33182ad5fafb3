import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FilesystemStorage } from '../adapters/filesystem';
import { MemoryObjectStorage } from '../adapters/memory';
import type { ObjectStorage, UploadLayout, UploadLayoutOptions } from '../ports';
import { TaskModule } from '../task.module';

/**
 * A storage backend of the user's own, registered with one line
 * (`storage: ...`): the tus endpoint follows the storage's `uploadLayout`.
 */
class MirroredDiskStorage extends FilesystemStorage {
  layouts: UploadLayoutOptions[] = [];

  override uploadLayout(options: UploadLayoutOptions): Promise<UploadLayout> {
    this.layouts.push(options);
    return super.uploadLayout(options);
  }
}

describe('resumable uploads on a storage given as an override', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-upload-storage-'));
  let app: INestApplication | undefined;

  async function start(storage: ObjectStorage) {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, storage, uploads: { resumable: true }, dashboard: false })],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app.getHttpServer();
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("write where the storage reads, through the storage's own upload layout", async () => {
    const storage = new MirroredDiskStorage(join(dataDir, 'mine'));
    const server = await start(storage);
    expect(storage.layouts).toEqual([{ expireAfterMs: 86_400_000 }]);

    const created = await request(server)
      .post('/uploads/')
      .set({ 'Tus-Resumable': '1.0.0', 'Upload-Length': '5', 'Content-Type': 'application/offset+octet-stream' })
      .send(Buffer.from('hello'))
      .expect(201);
    const id = String(created.headers.location).split('/').pop()!;
    expect(readFileSync(join(dataDir, 'mine', 'uploads', id), 'utf8')).toBe('hello');
    const stored = await storage.get(`uploads/${id}`);
    expect(
      await Readable.from(stored)
        .toArray()
        .then((c) => Buffer.concat(c).toString()),
    ).toBe('hello');
  });

  it('are off, and say so with a 404, on a storage without one', async () => {
    const server = await start(new MemoryObjectStorage());
    const res = await request(server)
      .post('/uploads/')
      .set({ 'Tus-Resumable': '1.0.0', 'Upload-Length': '5' })
      .expect(404);
    expect(res.body.message).toBe('resumable uploads are not served here');
  });
});
