import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { ByteRange, ObjectInfo, ObjectStorage, PutOptions, StoredObject, UploadedFile } from '@stepwise/tasks';
import * as yauzl from 'yauzl';
import { fakeStepContext, type FakeStepContext } from '../testing/fake-step-context';
import {
  CreateZipTask,
  createZipInput,
  type AcceptedFiles,
  type CreateZipInput,
  type ZipOutput,
} from './create-zip.task';

/**
 * The create-zip worker step on more than 4 GiB of data: the archive must be
 * ZIP64, and be made in bounded memory. Nothing of the big data touches the
 * disk or is held whole in memory: the sources are generated on the fly, and
 * the archive written is only counted, hashed and kept by its first and last
 * few MiB, enough to check every header of it.
 *
 * Slow for a unit test: 36 to 54 s on 2 cores (yazl's CRC-32 is plain JS,
 * and runs ~2.5x slower in Jest's VM context than in plain Node, where the
 * same 4 GiB archive takes ~18 s). Crossing 4 GiB is the point: do not shrink.
 */

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
/** More than 4 GiB, and not a whole number of chunks. */
const BIG_SIZE = 4 * GIB + MIB + 123;
const SMALL_SIZE = 100 * KIB + 7;
const NOTES = Buffer.from('Notes next to a file of more than 4 GiB.\n'.repeat(50));
/**
 * What the run may add to the RSS it started with (it added ~15 MB when
 * written; a buffered GiB would add ten times this). Relative, because a Jest
 * worker carries what the test files before this one left on its heap.
 */
const MAX_RSS_GROWTH = 100 * 1000 * 1000;
const HEAD_BYTES = MIB;
const TAIL_BYTES = 4 * MIB;
const CHUNK = MIB;

/** The pattern is periodic (a prime period, so it shifts from chunk to chunk): chunks are views of one buffer. */
const PERIOD = 251;
const PATTERN = Buffer.alloc(CHUNK + PERIOD);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % PERIOD;

/** `length` bytes of the pattern from absolute position `position` (a view, never a copy). */
function patternAt(seed: number, position: number, length: number): Buffer {
  const start = (position + seed) % PERIOD;
  return PATTERN.subarray(start, start + length);
}

/** The pattern as a stream of 1 MiB views of the one buffer, with its CRC-32 computed as it goes. */
function patternStream(seed: number, size: number, range?: ByteRange): Readable & { crc32: () => number } {
  let position = range?.start ?? 0;
  const end = range ? range.end + 1 : size;
  let crc = 0;
  const stream = new Readable({
    read() {
      if (position >= end) return void this.push(null);
      const chunk = patternAt(seed, position, Math.min(CHUNK, end - position));
      position += chunk.length;
      crc = crc32(chunk, crc);
      this.push(chunk);
    },
  });
  return Object.assign(stream, { crc32: () => crc });
}

/** The last `capacity` bytes written, in a fixed ring buffer. */
class Tail {
  private readonly ring: Buffer;
  private written = 0;
  constructor(private readonly capacity: number) {
    this.ring = Buffer.alloc(capacity);
  }
  write(chunk: Buffer): void {
    const data = chunk.length > this.capacity ? chunk.subarray(chunk.length - this.capacity) : chunk;
    const at = (this.written + chunk.length - data.length) % this.capacity;
    const first = Math.min(data.length, this.capacity - at);
    data.copy(this.ring, at, 0, first);
    data.copy(this.ring, 0, first);
    this.written += chunk.length;
  }
  /** The bytes kept, in order. */
  bytes(): Buffer {
    if (this.written <= this.capacity) return Buffer.from(this.ring.subarray(0, this.written));
    const at = this.written % this.capacity;
    return Buffer.concat([this.ring.subarray(at), this.ring.subarray(0, at)]);
  }
}

/** What `put` saw of an object: its size and hash, its first and last bytes. */
interface Written {
  size: number;
  sha256: string;
  head: Buffer;
  tail: Buffer;
}

/**
 * Object storage whose sources are generated and whose writes are consumed:
 * `get` streams a pattern of any size, `put` keeps only what the checks need.
 */
class GeneratedStorage implements ObjectStorage {
  readonly generated = new Map<string, { seed: number; size: number }>();
  readonly small = new Map<string, Buffer>();
  readonly written = new Map<string, Written>();
  /** The streams `get` returned, to learn the CRC-32 of what was read. */
  readonly reads: Array<{ key: string; stream: ReturnType<typeof patternStream> }> = [];
  peakRss = 0;
  private readonly lastModified = Date.UTC(2024, 0, 2, 3, 4, 6);

  sampleRss(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss);
  }

  async put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject> {
    const hash = createHash('sha256');
    const head = Buffer.alloc(HEAD_BYTES);
    const tail = new Tail(TAIL_BYTES);
    let size = 0;
    let sampledAt = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      options?.signal?.throwIfAborted();
      if (size < HEAD_BYTES) chunk.copy(head, size, 0, Math.min(chunk.length, HEAD_BYTES - size));
      hash.update(chunk);
      tail.write(chunk);
      size += chunk.length;
      if (size - sampledAt >= 64 * MIB) {
        sampledAt = size;
        this.sampleRss();
      }
    }
    const sha256 = hash.digest('hex');
    this.written.set(key, { size, sha256, head: head.subarray(0, Math.min(size, HEAD_BYTES)), tail: tail.bytes() });
    return { key, size, sha256 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const generated = this.generated.get(key);
    if (generated) {
      const stream = patternStream(generated.seed, generated.size, range);
      this.reads.push({ key, stream });
      return stream;
    }
    const small = this.small.get(key);
    if (small) return Readable.from([range ? small.subarray(range.start, range.end + 1) : small]);
    throw new Error(`no object "${key}"`);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const size = this.generated.get(key)?.size ?? this.small.get(key)?.length ?? this.written.get(key)?.size;
    if (size === undefined) return null;
    return { key, size, contentType: 'application/octet-stream', lastModified: this.lastModified };
  }

  async delete(key: string): Promise<void> {
    this.generated.delete(key);
    this.small.delete(key);
    this.written.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const map of [this.generated, this.small, this.written]) {
      for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const keys = [...this.generated.keys(), ...this.small.keys(), ...this.written.keys()];
    for (const key of keys.sort()) {
      if (!key.startsWith(prefix)) continue;
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  async ping(): Promise<void> {}
}

/**
 * yauzl reading the archive through what `put` kept of it: the head and the
 * tail. A read outside them fails, so whatever yauzl reads is what was written.
 */
class KeptBytesReader extends yauzl.RandomAccessReader {
  constructor(private readonly archive: Written) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    const { head, tail, size } = this.archive;
    if (end <= head.length) return Readable.from([head.subarray(start, end)]);
    const tailStart = size - tail.length;
    if (start >= tailStart) return Readable.from([tail.subarray(start - tailStart, end - tailStart)]);
    throw new Error(`bytes ${start}-${end} of the archive were not kept`);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A central directory record, with its extra fields by header id. */
interface CentralRecord {
  versionNeeded: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  name: string;
  extra: Map<number, Buffer>;
  length: number;
}

function centralRecord(buffer: Buffer, at: number): CentralRecord {
  expect(buffer.readUInt32LE(at)).toBe(0x02014b50);
  const nameLength = buffer.readUInt16LE(at + 28);
  const extraLength = buffer.readUInt16LE(at + 30);
  const commentLength = buffer.readUInt16LE(at + 32);
  const extra = new Map<number, Buffer>();
  const extraStart = at + 46 + nameLength;
  for (let i = extraStart; i < extraStart + extraLength;) {
    const size = buffer.readUInt16LE(i + 2);
    extra.set(buffer.readUInt16LE(i), buffer.subarray(i + 4, i + 4 + size));
    i += 4 + size;
  }
  return {
    versionNeeded: buffer.readUInt16LE(at + 6),
    flags: buffer.readUInt16LE(at + 8),
    method: buffer.readUInt16LE(at + 10),
    crc32: buffer.readUInt32LE(at + 16),
    compressedSize: buffer.readUInt32LE(at + 20),
    uncompressedSize: buffer.readUInt32LE(at + 24),
    localHeaderOffset: buffer.readUInt32LE(at + 42),
    name: buffer.toString('utf8', at + 46, at + 46 + nameLength),
    extra,
    length: 46 + nameLength + extraLength + commentLength,
  };
}

/** The ZIP64 extended information extra field (0x0001), as yazl writes it: the three 8-byte values. */
function zip64Extra(record: CentralRecord): { uncompressedSize: number; compressedSize: number; offset: number } {
  const field = record.extra.get(0x0001);
  expect(field).toBeDefined();
  expect(field!.length).toBe(24);
  return {
    uncompressedSize: Number(field!.readBigUInt64LE(0)),
    compressedSize: Number(field!.readBigUInt64LE(8)),
    offset: Number(field!.readBigUInt64LE(16)),
  };
}

const u64 = (buffer: Buffer, at: number) => Number(buffer.readBigUInt64LE(at));

type Outputs = { acceptFiles: AcceptedFiles; createZipArchive: ZipOutput };
type Ctx = FakeStepContext<CreateZipInput, Outputs>;

describe('create-zip past 4 GiB (ZIP64)', () => {
  it('writes a valid ZIP64 archive in bounded memory', async () => {
    const task = new CreateZipTask();
    const storage = new GeneratedStorage();
    const file = (name: string, key: string, size: number): UploadedFile => ({
      key,
      name,
      size,
      sha256: '',
      contentType: 'application/octet-stream',
    });
    // Deflated, then stored (no deflate of 4 GiB), then one whose local header lies past 4 GiB.
    storage.small.set('tasks/t1/uploads/notes', NOTES);
    storage.generated.set('tasks/t1/uploads/big', { seed: 0, size: BIG_SIZE });
    storage.generated.set('tasks/t1/uploads/photo', { seed: 7, size: SMALL_SIZE });
    const files = [
      file('notes.txt', 'tasks/t1/uploads/notes', NOTES.length),
      file('big.zip', 'tasks/t1/uploads/big', BIG_SIZE),
      file('photo.jpg', 'tasks/t1/uploads/photo', SMALL_SIZE),
    ];
    const validated = await createZipInput['~standard'].validate({ files, outputName: 'huge.zip' });
    if (validated.issues) throw new Error(JSON.stringify(validated.issues));
    const input = validated.value;
    const context = (outputs: Partial<Outputs> = {}): Ctx =>
      fakeStepContext<CreateZipInput, Outputs>({ storage, input, outputs, taskId: 't1' });

    const accepted = await task.acceptFiles(context());
    expect(accepted.totalBytes).toBe(NOTES.length + BIG_SIZE + SMALL_SIZE);

    storage.sampleRss();
    const baselineRss = storage.peakRss;
    const sampler = setInterval(() => storage.sampleRss(), 250);
    const ctx = context({ acceptFiles: accepted });
    let output: ZipOutput;
    try {
      output = await task.createZipArchive(ctx);
    } finally {
      clearInterval(sampler);
    }
    storage.sampleRss();

    // What the step reported is what was written.
    const key = 'tasks/t1/output/huge.zip';
    const archive = storage.written.get(key)!;
    expect(archive).toBeDefined();
    expect(output.size).toBe(archive.size);
    expect(output.entries).toEqual([
      { name: 'notes.txt', size: NOTES.length },
      { name: 'big.zip', size: BIG_SIZE },
      { name: 'photo.jpg', size: SMALL_SIZE },
    ]);
    expect(ctx.resultFile).toEqual({
      key,
      name: 'huge.zip',
      size: archive.size,
      contentType: 'application/zip',
      sha256: archive.sha256,
    });
    expect(archive.size).toBeGreaterThan(BIG_SIZE);

    // Each generated source was read once; the CRC-32 of what it produced is checked below.
    expect(storage.reads.map((r) => r.key)).toEqual(['tasks/t1/uploads/big', 'tasks/t1/uploads/photo']);
    const [bigCrc, photoCrc] = storage.reads.map((r) => r.stream.crc32());

    // The end of the archive: [central directory][ZIP64 EOCD record (56)][ZIP64 EOCD locator (20)][EOCD (22)].
    const { tail, head, size } = archive;
    const tailStart = size - tail.length;
    const eocd = tail.length - 22;
    expect(tail.readUInt32LE(eocd)).toBe(0x06054b50);
    const locator = eocd - 20;
    expect(tail.readUInt32LE(locator)).toBe(0x07064b50);
    expect(tail.readUInt32LE(locator + 4)).toBe(0); // disk of the ZIP64 EOCD record
    const zip64EocdOffset = u64(tail, locator + 8);
    expect(zip64EocdOffset).toBe(size - 22 - 20 - 56);
    expect(tail.readUInt32LE(locator + 16)).toBe(1); // total number of disks

    const zip64Eocd = zip64EocdOffset - tailStart;
    expect(tail.readUInt32LE(zip64Eocd)).toBe(0x06064b50);
    expect(u64(tail, zip64Eocd + 4)).toBe(56 - 12);
    expect(tail.readUInt16LE(zip64Eocd + 14)).toBe(45); // version needed: ZIP64
    expect(u64(tail, zip64Eocd + 24)).toBe(3); // entries on this disk
    expect(u64(tail, zip64Eocd + 32)).toBe(3); // entries in all
    const cdSize = u64(tail, zip64Eocd + 40);
    const cdOffset = u64(tail, zip64Eocd + 48);
    expect(cdOffset).toBeGreaterThan(0xffffffff);
    expect(cdOffset + cdSize).toBe(zip64EocdOffset);

    // The classic EOCD defers to the ZIP64 one where its fields overflow (here: the offset only).
    expect(tail.readUInt16LE(eocd + 4)).toBe(0); // number of this disk
    expect(tail.readUInt16LE(eocd + 6)).toBe(0); // disk of the central directory
    expect(tail.readUInt16LE(eocd + 8)).toBe(3); // below 0xFFFF: the true count
    expect(tail.readUInt16LE(eocd + 10)).toBe(3);
    expect(tail.readUInt32LE(eocd + 12)).toBe(cdSize); // below 0xFFFFFFFF: the true size
    expect(tail.readUInt32LE(eocd + 16)).toBe(0xffffffff); // offset of the central directory: past 4 GiB
    expect(tail.readUInt16LE(eocd + 20)).toBe(0); // no comment

    // The central directory.
    const records: CentralRecord[] = [];
    for (let at = cdOffset - tailStart; at < zip64EocdOffset - tailStart;) {
      const record = centralRecord(tail, at);
      records.push(record);
      at += record.length;
    }
    expect(records.map((r) => r.name)).toEqual(['notes.txt', 'big.zip', 'photo.jpg']);
    const [notes, big, photo] = records;

    // notes.txt, deflated at the start: no ZIP64.
    expect(notes).toMatchObject({ method: 8, versionNeeded: 20, uncompressedSize: NOTES.length, localHeaderOffset: 0 });
    expect(notes.crc32).toBe(crc32(NOTES));
    expect(notes.extra.has(0x0001)).toBe(false);
    expect(notes.compressedSize).toBeLessThan(NOTES.length);
    // Local header (30 + name) + deflated data + data descriptor (16).
    const bigOffset = 30 + 'notes.txt'.length + notes.compressedSize + 16;

    // big.zip, stored: 0xFFFFFFFF in the 4-byte fields, the truth in the ZIP64 extra field.
    expect(big).toMatchObject({
      method: 0,
      versionNeeded: 45,
      compressedSize: 0xffffffff,
      uncompressedSize: 0xffffffff,
      localHeaderOffset: 0xffffffff,
    });
    expect(big.crc32).toBe(bigCrc);
    expect(zip64Extra(big)).toEqual({ uncompressedSize: BIG_SIZE, compressedSize: BIG_SIZE, offset: bigOffset });
    // Local header + data + ZIP64 data descriptor (24).
    const photoOffset = bigOffset + 30 + 'big.zip'.length + BIG_SIZE + 24;

    // photo.jpg, small but past 4 GiB: ZIP64 for its offset.
    expect(photo).toMatchObject({ method: 0, versionNeeded: 45, localHeaderOffset: 0xffffffff });
    expect(photo.crc32).toBe(photoCrc);
    expect(zip64Extra(photo)).toEqual({
      uncompressedSize: SMALL_SIZE,
      compressedSize: SMALL_SIZE,
      offset: photoOffset,
    });
    expect(photoOffset).toBeGreaterThan(0xffffffff);
    expect(cdOffset).toBe(photoOffset + 30 + 'photo.jpg'.length + SMALL_SIZE + 24);
    expect(size).toBe(cdOffset + cdSize + 56 + 20 + 22);

    // The local headers, where the central directory says, and big.zip's ZIP64 data descriptor.
    expect(head.readUInt32LE(0)).toBe(0x04034b50);
    expect(head.readUInt32LE(bigOffset)).toBe(0x04034b50);
    expect(head.toString('utf8', bigOffset + 30, bigOffset + 30 + 7)).toBe('big.zip');
    const photoHeader = photoOffset - tailStart;
    expect(tail.readUInt32LE(photoHeader)).toBe(0x04034b50);
    expect(tail.toString('utf8', photoHeader + 30, photoHeader + 30 + 9)).toBe('photo.jpg');
    const descriptor = photoHeader - 24;
    expect(tail.readUInt32LE(descriptor)).toBe(0x08074b50);
    expect(tail.readUInt32LE(descriptor + 4)).toBe(bigCrc);
    expect(u64(tail, descriptor + 8)).toBe(BIG_SIZE);
    expect(u64(tail, descriptor + 16)).toBe(BIG_SIZE);

    // An independent reader agrees: yauzl, on the bytes kept.
    const zip = await yauzl.fromRandomAccessReaderPromise(new KeptBytesReader(archive), size, {
      lazyEntries: true,
      autoClose: false,
    });
    const entries = new Map<string, yauzl.Entry>();
    for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
    expect([...entries.keys()]).toEqual(['notes.txt', 'big.zip', 'photo.jpg']);
    const bigEntry = entries.get('big.zip')!;
    expect([bigEntry.uncompressedSize, bigEntry.compressedSize, bigEntry.relativeOffsetOfLocalHeader]).toEqual([
      BIG_SIZE,
      BIG_SIZE,
      bigOffset,
    ]);
    expect((await readAll(await zip.openReadStreamPromise(entries.get('notes.txt')!))).equals(NOTES)).toBe(true);
    expect(
      (await readAll(await zip.openReadStreamPromise(entries.get('photo.jpg')!))).equals(patternAt(7, 0, SMALL_SIZE)),
    ).toBe(true);
    // The first and last 64 KiB of big.zip, as written.
    const first = await readAll(await zip.openReadStreamPromise(bigEntry, { start: 0, end: 64 * KIB }));
    expect(first.equals(patternAt(0, 0, 64 * KIB))).toBe(true);
    const last = await readAll(
      await zip.openReadStreamPromise(bigEntry, { start: BIG_SIZE - 64 * KIB, end: BIG_SIZE }),
    );
    expect(last.equals(patternAt(0, BIG_SIZE - 64 * KIB, 64 * KIB))).toBe(true);
    zip.close();

    // Progress went up to 1, never back.
    const fractions = ctx.progressReports.map((p) => p.fraction);
    fractions.forEach((f, i) => i > 0 && expect(f).toBeGreaterThanOrEqual(fractions[i - 1]));
    expect(fractions.at(-1)).toBe(1);
    expect(ctx.progressReports.some((p) => p.message === 'file 2/3: big.zip')).toBe(true);

    // Bounded memory: nothing of the 4 GiB was held.
    expect(storage.peakRss - baselineRss).toBeLessThan(MAX_RSS_GROWTH);
  }, 300_000);
});
