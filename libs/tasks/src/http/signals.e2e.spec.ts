import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { z } from 'zod';
import { TaskSubmitter } from '../core/task-submitter';
import { HeaderOwnerResolver } from '../core/owner-resolver';
import { Step, Task, type StepContext } from '../definition';
import { TaskModule } from '../task.module';

const payment = z.object({ amount: z.number().positive(), reference: z.string() });

@Task({ name: 'checkout' })
class CheckoutTask {
  @Step({ order: 1 })
  reserve() {
    return { reserved: true };
  }

  // The wait first in its own step: the step runs again from its start when the signal wakes it.
  @Step({ order: 2, signals: { paid: payment } })
  async awaitPayment(ctx: StepContext) {
    const paid = await ctx.waitForSignal<z.infer<typeof payment>>('paid', { timeoutMs: 3_600_000 });
    return { charged: paid.amount, reference: paid.reference };
  }
}

describe('POST /tasks/{id}/signals/{name} (embedded, SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-signals-'));
  let app: INestApplication;
  let tasks: TaskSubmitter;
  const as = (owner: string) => ({ 'x-owner-id': owner });

  beforeAll(async () => {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false, ownerResolver: new HeaderOwnerResolver() })],
      providers: [CheckoutTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    tasks = app.get(TaskSubmitter);
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Polls the task's view until it has `status`. */
  async function until(id: string, owner: string, status: string): Promise<Record<string, unknown>> {
    for (;;) {
      const res = await request(app.getHttpServer()).get(`/tasks/${id}`).set(as(owner)).expect(200);
      if (res.body.status === status) return res.body as Record<string, unknown>;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('shows the task waiting, refuses bad signals with 4xx, and completes it with a valid one', async () => {
    const server = app.getHttpServer();
    const submitted = await request(server).post('/tasks/checkout').set(as('shop')).send({}).expect(202);
    const id = submitted.body.id as string;
    const waiting = await until(id, 'shop', 'waiting');
    expect(waiting).toMatchObject({ waitingFor: 'signal:paid', runAt: expect.any(String) });

    await request(server).post(`/tasks/${id}/signals/paid`).set(as('mallory')).send({}).expect(404);
    const unknown = await request(server).post(`/tasks/${id}/signals/refunded`).set(as('shop')).send({}).expect(400);
    expect(unknown.body).toMatchObject({ statusCode: 400, message: expect.stringContaining('refunded') });
    const invalid = await request(server)
      .post(`/tasks/${id}/signals/paid`)
      .set(as('shop'))
      .send({ amount: -1, reference: 'x' })
      .expect(400);
    expect(invalid.body.details).toEqual([expect.objectContaining({ field: 'amount' })]);
    await request(server)
      .post(`/tasks/${id}/signals/paid`)
      .set(as('shop'))
      .set('content-type', 'text/plain')
      .send('paid')
      .expect(415);
    await request(server)
      .post(`/tasks/${id}/signals/paid`)
      .set(as('shop'))
      .set('content-type', 'application/json')
      .send('{')
      .expect(400);
    expect((await request(server).get(`/tasks/${id}`).set(as('shop'))).body.status).toBe('waiting');

    const sent = await request(server)
      .post(`/tasks/${id}/signals/paid`)
      .set(as('shop'))
      .send({ amount: 12.5, reference: 'pay_1' })
      .expect(202);
    expect(sent.body.id).toBe(id);
    await until(id, 'shop', 'completed');
    const result = await request(server).get(`/tasks/${id}/result`).set(as('shop')).expect(200);
    expect(result.body.output).toEqual({ charged: 12.5, reference: 'pay_1' });

    const late = await request(server)
      .post(`/tasks/${id}/signals/paid`)
      .set(as('shop'))
      .send({ amount: 1, reference: 'r' });
    expect(late.status).toBe(409);
  });

  it('keeps a signal sent from code before the step waits', async () => {
    const checkout = await tasks.submit(CheckoutTask, {}, { owner: 'shop' });
    await tasks.signal(checkout.id, 'paid', { amount: 3, reference: 'early' }, 'shop');
    const done = await checkout.done();
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ charged: 3, reference: 'early' });
  });
});
