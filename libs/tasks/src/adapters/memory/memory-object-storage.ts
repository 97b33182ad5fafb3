import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ByteRange, ObjectInfo, ObjectStorage, PutOptions, StoredObject } from '../../ports';

/**
 * Object storage in memory, for tests (the testing kit's default): objects are
 * held as buffers, so small payloads only. Streams in and out like the others.
 */
export class MemoryObjectStorage implements ObjectStorage {
  readonly objects = new Map<string, { body: Buffer; contentType: string; lastModified: number }>();
  readonly deletedPrefixes: string[] = [];

  async put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
    const buffer = Buffer.concat(chunks);
    this.objects.set(key, {
      body: buffer,
      contentType: options?.contentType ?? 'application/octet-stream',
      lastModified: Date.now(),
    });
    return { key, size: buffer.length, sha256: createHash('sha256').update(buffer).digest('hex') };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const object = this.objects.get(key);
    if (!object) throw new Error(`no object ${key}`);
    return Readable.from(range ? object.body.subarray(range.start, range.end + 1) : object.body);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const object = this.objects.get(key);
    return object
      ? { key, size: object.body.length, contentType: object.contentType, lastModified: object.lastModified }
      : null;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    this.deletedPrefixes.push(prefix);
    for (const key of [...this.objects.keys()]) if (key.startsWith(prefix)) this.objects.delete(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of this.objects.keys()) {
      if (key.startsWith(prefix)) yield (await this.head(key))!;
    }
  }

  async ping(): Promise<void> {
    return;
  }
}
