import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { TaskRecord } from '../../model';
import type { AttemptKind, TaskTracer, TraceCarrier } from '../../ports';
import { carrierOf, contextOf } from './trace-context';

/** The instrumentation scope of Stepwise's spans. */
export const STEPWISE_TRACER = '@stepwise/tasks';

/** Ends `span` with the outcome of `work`: an exception recorded and an error status when it throws. */
export async function inSpan<T>(span: Span, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * {@link TaskTracer} on the OpenTelemetry API. The app registers the SDK (or
 * none: every call is then the API's no-op, and tasks store no context).
 */
export class OtelTaskTracer implements TaskTracer {
  constructor(private readonly tracer: Tracer = trace.getTracer(STEPWISE_TRACER)) {}

  submit<T>(type: string, work: (trace: TraceCarrier) => Promise<T>): Promise<T> {
    const options = { kind: SpanKind.PRODUCER, attributes: { 'stepwise.task.type': type } };
    return this.tracer.startActiveSpan(`stepwise.submit ${type}`, options, (span) =>
      inSpan(span, () => work(carrierOf(span.spanContext()))),
    );
  }

  attempt<T>(task: TaskRecord, step: string, attempt: number, kind: AttemptKind, work: () => T | Promise<T>) {
    const name = `stepwise.${kind === 'step' ? 'step' : 'compensate'} ${task.type}.${step}`;
    const attributes = {
      'stepwise.task.id': task.id,
      'stepwise.task.type': task.type,
      'stepwise.step': step,
      'stepwise.step.attempt': attempt,
    };
    const parent = contextOf(task);
    const span = this.tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
    return context.with(trace.setSpan(parent, span), () => inSpan(span, work));
  }
}
