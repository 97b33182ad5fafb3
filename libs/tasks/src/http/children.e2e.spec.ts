import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HeaderOwnerResolver } from '../core/owner-resolver';
import { Step, Task, type StepContext } from '../definition';
import { TaskModule } from '../task.module';

@Task({ name: 'page-render' })
class PageRenderTask {
  @Step({ order: 1, signals: { go: null } })
  async render(ctx: StepContext<{ page: number }>) {
    await ctx.waitForSignal('go');
    return `page ${ctx.input.page}`;
  }
}

@Task({ name: 'book-render' })
class BookRenderTask {
  @Step({ order: 1 })
  async renderPages(ctx: StepContext<{ pages: number }>) {
    const children = [];
    for (let page = 1; page <= ctx.input.pages; page++)
      children.push(await ctx.spawn<string>(PageRenderTask, { page }));
    return ctx.waitFor(children);
  }
}

describe('child tasks over REST (embedded, SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-children-'));
  let app: INestApplication;
  const as = (owner: string) => ({ 'x-owner-id': owner });

  beforeAll(async () => {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false, ownerResolver: new HeaderOwnerResolver() })],
      providers: [PageRenderTask, BookRenderTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function until(id: string, done: (view: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const res = await request(app.getHttpServer()).get(`/tasks/${id}`).set(as('ann')).expect(200);
      if (done(res.body as Record<string, unknown>)) return res.body as Record<string, unknown>;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('lists the children with their status in GET /tasks/{id}, and completes the parent with their outputs', async () => {
    const server = app.getHttpServer();
    const submitted = await request(server).post('/tasks/book-render').set(as('ann')).send({ pages: 2 }).expect(202);
    const id = submitted.body.id as string;
    expect(submitted.body.children).toBeUndefined();
    const waiting = await until(id, (v) => v.status === 'waiting');
    expect(waiting.waitingFor).toBe('children');
    const parentView = await until(
      id,
      (v) =>
        Array.isArray(v.children) && (v.children as Array<{ status: string }>).every((c) => c.status === 'waiting'),
    );
    expect(parentView.children).toEqual([
      { id: expect.any(String), type: 'page-render', status: 'waiting' },
      { id: expect.any(String), type: 'page-render', status: 'waiting' },
    ]);
    const childIds = (parentView.children as Array<{ id: string }>).map((c) => c.id);
    const child = await request(server).get(`/tasks/${childIds[0]}`).set(as('ann')).expect(200);
    expect(child.body).toMatchObject({ parentId: id, type: 'page-render' });
    await request(server).get(`/tasks/${childIds[0]}`).set(as('bob')).expect(404);

    for (const childId of childIds)
      await request(server).post(`/tasks/${childId}/signals/go`).set(as('ann')).expect(202);
    await until(id, (v) => v.status === 'completed');
    const result = await request(server).get(`/tasks/${id}/result`).set(as('ann')).expect(200);
    expect(result.body.output).toEqual(['page 1', 'page 2']);
  });
});
