import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { NonRetryableError, compileTask, type ObjectStorage } from '@stepwise/tasks';
import { fakeStepContext, readObject, tempStorage, upload, type FakeStepContext } from '../testing/fake-step-context';
import {
  CreateZipTask,
  createZipInput,
  type AcceptedFiles,
  type CreateZipInput,
  type ZipOutput,
} from './create-zip.task';
import { unzip } from '../testing/unzip';

type Outputs = { acceptFiles: AcceptedFiles; createZipArchive: ZipOutput };
/** An upload id, as `/uploads/` gives them. */
const U1 = '6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f';

type Ctx = FakeStepContext<CreateZipInput, Outputs>;

async function validInput(raw: unknown): Promise<CreateZipInput> {
  const result = await createZipInput['~standard'].validate(raw);
  if (result.issues) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe('create-zip', () => {
  const task = new CreateZipTask();
  let storage: ObjectStorage;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ storage, dispose } = await tempStorage());
  });
  afterEach(() => dispose());

  const context = (input: CreateZipInput, outputs: Partial<Outputs> = {}): Ctx =>
    fakeStepContext<CreateZipInput, Outputs>({ storage, input, outputs, taskId: 't1' });

  /** Runs both steps as the engine would, in order, and returns the second step's context. */
  async function run(input: CreateZipInput): Promise<{ ctx: Ctx; output: ZipOutput }> {
    const accepted = await task.acceptFiles(context(input));
    const ctx = context(input, { acceptFiles: accepted });
    return { ctx, output: await task.createZipArchive(ctx) };
  }

  it('is a valid task declaration', () => {
    const definition = compileTask(task);
    expect(definition).toMatchObject({ name: 'create-zip', queue: 'files', acceptsFiles: true, cancellable: true });
    expect(definition.steps.map((s) => [s.name, s.on, s.retry.attempts, !!s.compensate])).toEqual([
      ['acceptFiles', 'api', 1, false],
      ['createZipArchive', 'worker', 3, true],
    ]);
  });

  describe('input', () => {
    const issues = async (raw: unknown) => {
      const result = await createZipInput['~standard'].validate(raw);
      return (result.issues ?? []).map((i) => ({ path: i.path?.join('.'), message: i.message }));
    };

    it('requires at least one file, naming `files`', async () => {
      expect(await issues({})).toEqual([{ path: 'files', message: 'at least one file is required' }]);
      expect(await issues({ files: [] })).toEqual([{ path: 'files', message: 'at least one file is required' }]);
    });

    it('defaults and sanitises the output name, which must end in .zip', async () => {
      const file = { key: 'tasks/t1/a', name: 'a', size: 1, sha256: '', contentType: 'text/plain' };
      expect((await validInput({ files: [file] })).outputName).toBe('archive.zip');
      expect((await validInput({ files: [file], outputName: '../../etc/x.ZIP' })).outputName).toBe('x.ZIP');
      expect(await issues({ files: [file], outputName: 'report.tar' })).toEqual([
        { path: 'outputName', message: 'must be a file name ending in .zip' },
      ]);
      expect(await issues({ files: [file], outputName: '../' })).toHaveLength(1);
    });

    it('accepts `uploads` (ids of resumable uploads) in place of files, and refuses what is not an upload id', async () => {
      expect(await issues({ uploads: [U1] })).toEqual([]);
      expect(await issues({ uploads: ['../../etc/passwd'] })).toEqual([
        { path: 'uploads.0', message: 'must be the id of a finished upload: the last segment of its /uploads/ URL' },
      ]);
    });
  });

  it('zips the uploaded files byte for byte, with unique entry names, and reports progress up to 1', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const files = [
      await upload(storage, 't1', 'a.txt', 'hello\n'),
      await upload(storage, 't1', 'big.bin', big),
      await upload(storage, 't1', 'a.txt', 'another a\n'),
      await upload(storage, 't1', 'empty.txt', ''),
      await upload(storage, 't1', 'photo.jpg', randomBytes(1000)),
    ];
    const { ctx, output } = await run(await validInput({ files, outputName: 'my files.zip' }));

    const names = ['a.txt', 'big.bin', 'a (2).txt', 'empty.txt', 'photo.jpg'];
    expect(output.name).toBe('my files.zip');
    expect(output.entries).toEqual(names.map((name, i) => ({ name, size: files[i].size })));

    const key = 'tasks/t1/output/my files.zip';
    expect(ctx.resultFile).toEqual({
      key,
      name: 'my files.zip',
      size: output.size,
      contentType: 'application/zip',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const zip = await readObject(storage, key);
    expect(zip.length).toBe(output.size);
    const entries = await unzip(zip);
    expect([...entries.keys()]).toEqual(names);
    expect(entries.get('a.txt')!.toString()).toBe('hello\n');
    expect(entries.get('a (2).txt')!.toString()).toBe('another a\n');
    expect(entries.get('big.bin')!.equals(big)).toBe(true);
    expect(entries.get('empty.txt')!.length).toBe(0);
    expect(entries.get('photo.jpg')!.length).toBe(1000);

    const fractions = ctx.progressReports.map((p) => p.fraction);
    expect(fractions.length).toBeGreaterThan(3);
    fractions.forEach((f, i) => i > 0 && expect(f).toBeGreaterThanOrEqual(fractions[i - 1]));
    expect(fractions.at(-1)).toBe(1);
    expect(ctx.progressReports.some((p) => p.message === 'file 2/5: big.bin')).toBe(true);
  });

  it('step 1 totals the sizes it finds in storage', async () => {
    const files = [await upload(storage, 't1', 'x', 'abc'), await upload(storage, 't1', 'y', 'de')];
    const accepted = await task.acceptFiles(context(await validInput({ files })));
    expect(accepted.totalBytes).toBe(5);
    expect(accepted.files.map((f) => [f.entryName, f.size])).toEqual([
      ['x', 3],
      ['y', 2],
    ]);
  });

  it('step 1 fails for good on a file missing from storage', async () => {
    const file = await upload(storage, 't1', 'gone.txt', 'x');
    await storage.delete(file.key);
    const promise = task.acceptFiles(context(await validInput({ files: [file] })));
    await expect(promise).rejects.toThrow(NonRetryableError);
    await expect(promise).rejects.toThrow('file "gone.txt" is missing from storage');
  });

  it("step 1 refuses a key outside the task's own prefix", async () => {
    const foreign = await upload(storage, 'other-task', 'secret.txt', 'not yours');
    await expect(task.acceptFiles(context(await validInput({ files: [foreign] })))).rejects.toThrow(
      'file "secret.txt" was not uploaded with this task',
    );
    const sneaky = { ...foreign, key: 'tasks/t1/../other-task/x' };
    await expect(task.acceptFiles(context(await validInput({ files: [sneaky] })))).rejects.toThrow(NonRetryableError);
  });

  it('step 1 takes finished resumable uploads by id, next to the files, wherever their content is', async () => {
    // A resumable upload's content lives outside the task's prefix (shared by identical uploads).
    const stored = await storage.put(`uploads/${U1}`, Readable.from([Buffer.from('resumed')]));
    const resumable = {
      key: `uploads/${U1}`,
      name: 'notes.txt',
      size: stored.size,
      sha256: stored.sha256,
      contentType: 'text/plain',
    };
    const file = await upload(storage, 't1', 'notes.txt', 'sent with the submit');
    const input = await validInput({ files: [file], uploads: [U1] });
    const accepted = await task.acceptFiles(
      fakeStepContext<CreateZipInput, Outputs>({ storage, input, taskId: 't1', uploads: { [U1]: resumable } }),
    );
    expect(accepted.files.map((f) => [f.key, f.entryName, f.size])).toEqual([
      [file.key, 'notes.txt', 20],
      [`uploads/${U1}`, 'notes (2).txt', 7],
    ]);
  });

  it("step 1 fails for good on an upload that is unknown, unfinished or not the caller's", async () => {
    const promise = task.acceptFiles(context(await validInput({ uploads: [U1] })));
    await expect(promise).rejects.toThrow(NonRetryableError);
    await expect(promise).rejects.toThrow(`upload "${U1}" is unknown or not finished`);
  });

  it('aborting through the signal stops at once and leaves no output object', async () => {
    const files = [
      await upload(storage, 't1', 'one.bin', randomBytes(4 * 1024 * 1024)),
      await upload(storage, 't1', 'two.bin', randomBytes(4 * 1024 * 1024)),
    ];
    const input = await validInput({ files });
    const accepted = await task.acceptFiles(context(input));
    const ctx = context(input, { acceptFiles: accepted });
    const originalProgress = ctx.progress;
    // Abort on the first progress report: the archive is mid-way through the first file.
    ctx.progress = (fraction, message) => {
      originalProgress(fraction, message);
      if (!ctx.signal.aborted) ctx.controller.abort(new Error('cancelled by test'));
    };
    await expect(task.createZipArchive(ctx)).rejects.toThrow();
    expect(ctx.progressReports[0].fraction).toBeLessThan(1);
    expect(ctx.resultFile).toBeUndefined();
    expect(await storage.head('tasks/t1/output/archive.zip')).toBeNull();
    const left: string[] = [];
    for await (const object of storage.list('tasks/t1/output/')) left.push(object.key);
    expect(left).toEqual([]);
    // The sources are untouched.
    expect(await storage.head(files[0].key)).not.toBeNull();
  });

  it('fails (to be retried) when a source changed size between the steps', async () => {
    const file = await upload(storage, 't1', 'a.txt', 'hello');
    const input = await validInput({ files: [file] });
    const accepted = await task.acceptFiles(context(input));
    await storage.put(file.key, Readable.from([Buffer.from('hello world')]));
    const ctx = context(input, { acceptFiles: accepted });
    await expect(task.createZipArchive(ctx)).rejects.toThrow(/unexpected number of bytes/);
    expect(await storage.head('tasks/t1/output/archive.zip')).toBeNull();
  });

  it('the compensation deletes the archive', async () => {
    const files = [await upload(storage, 't1', 'a.txt', 'a')];
    const { ctx } = await run(await validInput({ files }));
    expect(await storage.head('tasks/t1/output/archive.zip')).not.toBeNull();
    await task.deleteZip(ctx);
    expect(await storage.head('tasks/t1/output/archive.zip')).toBeNull();
  });
});
