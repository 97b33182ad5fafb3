import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  ByteRange,
  ObjectInfo,
  ObjectStorage,
  PutOptions,
  StoredObject,
  UploadLayout,
  UploadLayoutOptions,
} from '../../ports';

/** Object storage on the local filesystem (embedded default), streaming both ways. */
export class FilesystemStorage implements ObjectStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async uploadLayout(options: UploadLayoutOptions): Promise<UploadLayout> {
    // Its own module: tus loads only when resumable uploads are on.
    const { filesystemUploadLayout } = await import('./filesystem-upload-layout');
    return filesystemUploadLayout(this.root, options);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObject> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    // Written beside the target and renamed: a reader never sees a partial object.
    const temp = `${target}.${randomBytes(6).toString('hex')}.partial`;
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const out = createWriteStream(temp);
    try {
      await pipeline(body, measure, out, { signal: options.signal });
      await rename(temp, target);
    } catch (error) {
      // A source that fails early can beat the file's own open: remove it only once the stream has closed.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(temp, { force: true });
      throw error;
    }
    return { key, size, sha256: hash.digest('hex') };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(key);
    await stat(path).catch(() => {
      throw Object.assign(new Error(`object ${key} not found`), { code: 'NoSuchKey' });
    });
    return createReadStream(path, range ? { start: range.start, end: range.end } : undefined);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.path(key));
      if (!info.isFile()) return null;
      return { key, size: info.size, contentType: 'application/octet-stream', lastModified: info.mtimeMs };
    } catch {
      return null;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.endsWith('/')) {
      await rm(this.path(prefix), { recursive: true, force: true });
      return;
    }
    for await (const object of this.list(prefix)) await this.delete(object.key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const base = this.path(prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '');
    for (const file of await walk(base)) {
      const key = relative(this.root, file).split(sep).join('/');
      if (!key.startsWith(prefix) || key.endsWith('.partial')) continue;
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  /** Maps a key to a path inside the root; refuses keys that would escape it. */
  private path(key: string): string {
    const path = resolve(join(this.root, key));
    if (path !== this.root && !path.startsWith(this.root + sep)) throw new Error(`invalid object key ${key}`);
    return path;
  }
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))),
  );
  return nested.flat();
}
