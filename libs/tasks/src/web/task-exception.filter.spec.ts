import { mkdtempSync, readdirSync, rmSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestException, Logger, Module, NotFoundException, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FilesystemStorage } from '../adapters/filesystem';
import { MemoryTaskStore } from '../adapters/memory';
import { Step, Task } from '../definition';
import { TaskOperationError } from '../engine/operation-errors';
import type { TaskRecord } from '../model';
import { TaskModule } from '../task.module';
import { toErrorResponse } from './error-response';
import { ApiError } from './http-error';
import { isUnavailableError } from './unavailable-error';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('toErrorResponse', () => {
  it.each([
    ['not_found', 404],
    ['invalid_input', 400],
    ['conflict', 409],
    ['quota_exceeded', 403],
    ['unavailable', 503],
  ] as const)('maps TaskOperationError %s to %i', (kind, status) => {
    const { body, headers } = toErrorResponse(new TaskOperationError(kind, 'msg', { some: 'details' }));
    expect(body).toEqual({
      statusCode: status,
      error: expect.any(String),
      message: 'msg',
      details: { some: 'details' },
    });
    expect(headers).toEqual(status === 503 ? { 'Retry-After': '5' } : {});
  });

  it('passes Nest HttpExceptions through in the contract shape', () => {
    expect(toErrorResponse(new NotFoundException('gone')).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'gone',
    });
    expect(toErrorResponse(new BadRequestException(['a is bad', 'b is bad'])).body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'a is bad; b is bad',
      details: ['a is bad', 'b is bad'],
    });
    const range = toErrorResponse(new ApiError(416, 'no', undefined, { 'Content-Range': 'bytes */3' }));
    expect(range).toEqual({
      body: { statusCode: 416, error: 'Range Not Satisfiable', message: 'no' },
      headers: { 'Content-Range': 'bytes */3' },
    });
  });

  it('maps unreachable backends to 503 with Retry-After, whatever wraps them', () => {
    const wrapped = [
      refused(),
      Object.assign(new Error('Query failed'), { name: 'QueryFailedError', driverError: refused() }),
      new AggregateError([refused(), refused()], 'connect failed'),
      new Error('outer', { cause: Object.assign(new Error('terminating connection'), { code: '57P01' }) }),
      Object.assign(new Error('Connection is closed.'), {}),
      Object.assign(new Error('x'), { name: 'CannotExecuteNotConnectedError' }),
      new TypeError('The database connection is not open'),
    ];
    for (const error of wrapped) {
      expect(isUnavailableError(error)).toBe(true);
      const response = toErrorResponse(error);
      expect(response.body.statusCode).toBe(503);
      expect(response.headers).toEqual({ 'Retry-After': '5' });
      // The client learns nothing about the internals.
      expect(response.body.message).not.toContain('5432');
    }
  });

  it('answers anything else with a generic 500 that is logged', () => {
    const response = toErrorResponse(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(response).toEqual({
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
      headers: {},
      log: 'error',
    });
    expect(toErrorResponse('a string').body.statusCode).toBe(500);
    expect(toErrorResponse(null).body.statusCode).toBe(500);
  });

  it('keeps the 4xx of http-errors style errors', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
    });
    expect(toErrorResponse(tooLarge).body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'request entity too large',
    });
  });
});

@Task({ name: 'noop' })
class NoopTask {
  @Step({ order: 1 })
  run() {
    return null;
  }
}

@Task({ name: 'upload', acceptsFiles: true })
class UploadTask {
  @Step({ order: 1 })
  run() {
    return null;
  }
}

/** A store whose database went away, or that has a bug. */
class FailingStore extends MemoryTaskStore {
  failure: Error | null = null;
  override async get(id: string): Promise<TaskRecord | null> {
    if (this.failure) throw this.failure;
    return super.get(id);
  }
}

describe('TasksController under a global prefix, on failing backends', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-filter-'));
  const store = new FailingStore();
  let app: INestApplication;
  const id = '11111111-1111-4111-8111-111111111111';

  beforeAll(async () => {
    @Module({ imports: [TaskModule.forRoot({ dataDir, store })], providers: [NoopTask, UploadTask] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    // Links and Location must follow the host's mount point.
    app.setGlobalPrefix('api');
    await app.init();
  });

  afterAll(async () => {
    store.failure = null;
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After when the store is unreachable', async () => {
    store.failure = Object.assign(new Error('Query failed'), { name: 'QueryFailedError', driverError: refused() });
    const res = await request(app.getHttpServer()).get(`/api/tasks/${id}`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
  });

  it('answers a bug with a generic 500 and logs its stack', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    store.failure = new TypeError('secret internal detail');
    const res = await request(app.getHttpServer()).get(`/api/tasks/${id}`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(logged).toHaveBeenCalledWith(
      expect.stringContaining('secret internal detail'),
      expect.stringContaining('TypeError'),
    );
    logged.mockRestore();
  });

  it('puts the global prefix in Location and links', async () => {
    store.failure = null;
    const res = await request(app.getHttpServer()).post('/api/tasks/noop').send({});
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/tasks/${res.body.id}`);
    expect(res.body.links).toMatchObject({
      self: `/api/tasks/${res.body.id}`,
      events: `/api/tasks/${res.body.id}/events`,
    });
    // Body-parser errors are shaped under the prefix as well.
    const big = await request(app.getHttpServer())
      .post('/api/tasks/noop')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ x: 'y'.repeat(200 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: expect.any(String) });
  });

  it.each(['gzip', 'deflate', 'br'])(
    'answers a body that is not %s as its Content-Encoding says with a JSON 400, logged at WARN without a stack',
    async (encoding) => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const res = await request(app.getHttpServer())
          .post('/api/tasks/noop')
          .set({ 'Content-Type': 'application/json', 'Content-Encoding': encoding })
          .send('{"not": "compressed"}');
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: `The body does not decode as its Content-Encoding (${encoding}) says`,
        });
        expect(error).not.toHaveBeenCalled();
        expect(warn).toHaveBeenCalledTimes(1);
        // One line, and no stack in any argument.
        expect(warn.mock.calls[0]).toEqual([expect.stringContaining('400 POST /api/tasks/noop')]);
        expect(String(warn.mock.calls[0][0])).not.toMatch(/\n|\bat /);
      } finally {
        error.mockRestore();
        warn.mockRestore();
      }
    },
  );

  it('answers 503 when the storage fails mid-upload, and keeps nothing of the submit', async () => {
    const put = jest.spyOn(FilesystemStorage.prototype, 'put');
    const original = put.getMockImplementation() ?? FilesystemStorage.prototype.put;
    let calls = 0;
    put.mockImplementation(async function (this: FilesystemStorage, key, body, options) {
      if (++calls === 2) {
        body.resume();
        throw refused();
      }
      return original.call(this, key, body, options);
    });
    try {
      const res = await request(app.getHttpServer())
        .post('/api/tasks/upload')
        .attach('files', Buffer.from('first'), 'a.txt')
        .attach('files', Buffer.from('second'), 'b.txt');
      expect(res.status).toBe(503);
      expect(calls).toBe(2);
      expect(walk(join(dataDir, 'objects'))).toEqual([]);
    } finally {
      put.mockRestore();
    }
  });
});

function walk(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
