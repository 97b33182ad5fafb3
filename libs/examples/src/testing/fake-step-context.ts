import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  FilesystemStorage,
  type ObjectStorage,
  type ResultFile,
  type StepContext,
  type UploadedFile,
} from '@stepwise/tasks';

/** A step context as the engine builds it, recording what the step reports. Test helper. */
export interface FakeStepContext<I, O extends object> extends StepContext<I, O> {
  readonly progressReports: Array<{ fraction: number; message?: string }>;
  resultFile?: ResultFile;
  readonly controller: AbortController;
}

export function fakeStepContext<I, O extends object = Record<string, unknown>>(options: {
  storage: ObjectStorage;
  input: I;
  outputs?: Partial<O>;
  taskId?: string;
  step?: string;
  /** Finished resumable uploads by id, as `ctx.uploads.get` finds them. */
  uploads?: Record<string, UploadedFile>;
}): FakeStepContext<I, O> {
  const controller = new AbortController();
  const taskId = options.taskId ?? 'task-1';
  const progressReports: Array<{ fraction: number; message?: string }> = [];
  const ctx: FakeStepContext<I, O> = {
    taskId,
    taskType: 'test',
    owner: 'anonymous',
    input: options.input,
    outputs: options.outputs ?? ({} as Partial<O>),
    step: options.step ?? 'step',
    attempt: 1,
    signal: controller.signal,
    controller,
    logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
    storage: options.storage,
    storagePrefix: `tasks/${taskId}/`,
    uploads: { get: async (id) => options.uploads?.[id] ?? null },
    progressReports,
    progress: (fraction, message) => void progressReports.push({ fraction, message }),
    setResultFile: (file) => {
      ctx.resultFile = file;
    },
    waitForSignal: async (name) => {
      throw new Error(`the example steps wait for no signal (asked for "${name}")`);
    },
    spawn: async () => {
      throw new Error('the example steps spawn no child task');
    },
    waitFor: async () => {
      throw new Error('the example steps spawn no child task');
    },
  };
  return ctx;
}

/** A FilesystemStorage in a fresh temp directory, and a way to remove it. */
export async function tempStorage(): Promise<{ storage: FilesystemStorage; root: string; dispose(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'stepwise-examples-'));
  return { storage: new FilesystemStorage(root), root, dispose: () => rm(root, { recursive: true, force: true }) };
}

/** Stores `content` as the HTTP layer stores a multipart part, and describes it as `input.files` does. */
export async function upload(
  storage: ObjectStorage,
  taskId: string,
  name: string,
  content: Buffer | string,
  contentType = 'application/octet-stream',
): Promise<UploadedFile> {
  const key = `tasks/${taskId}/uploads/${Math.random().toString(36).slice(2)}-${name}`;
  const stored = await storage.put(key, Readable.from([Buffer.from(content)]));
  return { key, name, size: stored.size, sha256: stored.sha256, contentType };
}

/** Reads a whole stored object (small test fixtures only). */
export async function readObject(storage: ObjectStorage, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await storage.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
