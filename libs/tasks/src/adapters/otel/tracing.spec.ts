import { Readable } from 'node:stream';
import { context, ProxyTracerProvider, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ManualClock, MemoryTaskStore } from '../memory';
import { MemoryObjectStorage } from '../memory/memory-object-storage';
import { Compensate, Step, Task, type StepContext } from '../../definition';
import { NonRetryableError } from '../../engine';
import { createEngineFixture, deferred, type Deferred } from '../../engine/testing/engine-fixture';
import { OtelTaskTracer } from './otel-task-tracer';
import { TracedObjectStorage } from './traced-object-storage';
import { carrierOf, contextOf } from './trace-context';
import { tracedDelivery } from './traced-webhook';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const named = (prefix: string) => exporter.getFinishedSpans().filter((s) => s.name.startsWith(prefix));
const one = (name: string): ReadableSpan => {
  const spans = exporter.getFinishedSpans().filter((s) => s.name === name);
  expect(spans.map((s) => s.name)).toEqual([name]);
  return spans[0];
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

@Task({ name: 'publish' })
class PublishTask {
  constructor(private readonly broken = true) {}

  @Step({ order: 1 })
  async render(ctx: StepContext) {
    await ctx.storage.put(`${ctx.storagePrefix}page.html`, Readable.from([Buffer.from('<p>hi</p>')]));
    return { rendered: true };
  }

  @Compensate('render')
  async unrender(ctx: StepContext) {
    await ctx.storage.delete(`${ctx.storagePrefix}page.html`);
  }

  @Step({ order: 2 })
  upload() {
    if (this.broken) throw new NonRetryableError('CDN refused');
    return { uploaded: true };
  }
}

describe('tracing (OpenTelemetry)', () => {
  it('one trace from the submit to every step attempt, its storage calls and its compensation', async () => {
    const f = createEngineFixture({
      tasks: [new PublishTask()],
      tracer: new OtelTaskTracer(),
      storage: new TracedObjectStorage(new MemoryObjectStorage()),
    });
    await f.engine.start(['api', 'worker']);
    // What the app's HTTP instrumentation would have started around the request.
    const request = trace.getTracer('app').startSpan('POST /tasks/publish');
    const { task } = await context.with(trace.setSpan(context.active(), request), () => f.submit('publish'));
    request.end();
    expect((await f.settle(task.id, 'failed')).status).toBe('failed');
    await f.engine.stop();

    const submit = one('stepwise.submit publish');
    const traceId = request.spanContext().traceId;
    expect(submit.spanContext().traceId).toBe(traceId);
    expect(parentOf(submit)).toBe(request.spanContext().spanId);
    // The task keeps the submit's context: that is what the steps are children of.
    expect((await f.task(task.id)).traceparent).toBe(`00-${traceId}-${submit.spanContext().spanId}-01`);

    const render = one('stepwise.step publish.render');
    const upload = one('stepwise.step publish.upload');
    const unrender = one('stepwise.compensate publish.render');
    for (const span of [render, upload, unrender]) {
      expect(span.spanContext().traceId).toBe(traceId);
      expect(parentOf(span)).toBe(submit.spanContext().spanId);
    }
    expect(render.attributes).toMatchObject({
      'stepwise.task.id': task.id,
      'stepwise.task.type': 'publish',
      'stepwise.step': 'render',
      'stepwise.step.attempt': 1,
    });
    expect(upload.status.code).toBe(2); // ERROR
    expect(upload.events.map((e) => e.name)).toEqual(['exception']);

    // Storage calls are children of the attempt that made them.
    const [put] = named('stepwise.storage put');
    expect(parentOf(put)).toBe(render.spanContext().spanId);
    expect(put.attributes['stepwise.storage.key']).toBe(`tasks/${task.id}/page.html`);
    const deletes = named('stepwise.storage delete');
    expect(deletes.map(parentOf)).toContain(unrender.spanContext().spanId);
  });

  it('a task recovered by another process after a crash stays in the trace of its submit', async () => {
    const gate: Deferred<unknown> = deferred();
    @Task({ name: 'migrate' })
    class MigrateTask {
      constructor(private readonly hang: boolean) {}
      @Step({ order: 1 })
      copy() {
        return this.hang ? gate.promise : { copied: true };
      }
    }
    // Two "processes" on one database; A's clock never moves again after the claim (it died).
    const store = new MemoryTaskStore();
    const A = createEngineFixture({
      tasks: [new MigrateTask(true)],
      store,
      tracer: new OtelTaskTracer(),
      clock: new ManualClock(),
    });
    const B = createEngineFixture({
      tasks: [new MigrateTask(false)],
      store,
      tracer: new OtelTaskTracer(),
      clock: new ManualClock(),
      settings: { workerId: 'worker-b' },
      idPrefix: 'b-task',
    });
    await A.engine.start(['worker']);
    const { task } = await A.submit('migrate');
    await A.flush();
    expect(await A.task(task.id)).toMatchObject({ status: 'running', leaseOwner: 'worker-a' });

    await B.engine.worker.start(['worker']);
    await B.clock.advance(B.settings.leaseMs + 1);
    expect(await B.engine.sweeper.sweep()).toBe(1);
    expect((await B.settle(task.id, 'completed')).status).toBe('completed');

    const submit = one('stepwise.submit migrate');
    // A's attempt never ended (it hangs); B's is the one exported, in the submit's trace.
    const copy = one('stepwise.step migrate.copy');
    expect(copy.spanContext().traceId).toBe(submit.spanContext().traceId);
    expect(parentOf(copy)).toBe(submit.spanContext().spanId);
    expect(copy.attributes['stepwise.step.attempt']).toBe(2);
    gate.resolve(null);
    await B.engine.stop();
    await A.engine.stop();
  });

  it('stores no trace context when nothing records (no SDK), and reads back what it stores', async () => {
    const noSdk = new OtelTaskTracer(new ProxyTracerProvider().getTracer('none'));
    const f = createEngineFixture({ tasks: [new PublishTask(false)], tracer: noSdk });
    const { task } = await f.submit('publish');
    expect(await f.task(task.id)).not.toHaveProperty('traceparent');
    expect(exporter.getFinishedSpans()).toEqual([]);

    const span = trace.getTracer('t').startSpan('x');
    const { traceId, spanId, traceFlags } = span.spanContext();
    const carrier = carrierOf(span.spanContext());
    expect(carrier).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
    expect(trace.getSpanContext(contextOf(carrier))).toMatchObject({ traceId, spanId, traceFlags, isRemote: true });
    const withState = trace.getSpanContext(contextOf({ ...carrier, tracestate: 'vendor=abc' }));
    expect(withState?.traceState?.get('vendor')).toBe('abc');
    // Malformed or invalid: a new trace, never an error.
    expect(trace.getSpanContext(contextOf({ traceparent: 'garbage' }))).toBeUndefined();
    expect(
      trace.getSpanContext(contextOf({ traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` })),
    ).toBeUndefined();
    span.end();
  });

  it('a webhook delivery attempt is a span whose traceparent goes to the receiver; a non-2xx is an error', async () => {
    const sent: unknown[] = [];
    const about = { id: 'd-1', event: 'task.completed', taskId: 't-1', attempt: 3 };
    await tracedDelivery(about, async (carrier) => {
      sent.push(carrier);
      return { statusCode: 503 };
    });
    const span = one('stepwise.webhook task.completed');
    expect(sent).toEqual([{ traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01` }]);
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 503, 'stepwise.webhook.attempt': 3 });
    expect(span.status.code).toBe(2);
  });
});
