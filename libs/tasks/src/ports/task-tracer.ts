import type { TaskRecord } from '../model';

/** The W3C trace context a task keeps from its submit (`traceparent`, `tracestate` headers' values). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** What a traced step attempt is: a step's run, or a compensation. */
export type AttemptKind = 'step' | 'compensation';

/**
 * Traces what the kernel does (OpenTelemetry in `adapters/otel`): a span
 * around a submit, whose context the task keeps, and one around every step
 * attempt and compensation, a child of that context, in whatever process
 * runs it. Implementations must not throw for their own reasons.
 */
export interface TaskTracer {
  /**
   * Runs a submit of `type` inside a span; `work` receives the span's context
   * to store with the task (empty when nothing records it).
   */
  submit<T>(type: string, work: (trace: TraceCarrier) => Promise<T>): Promise<T>;
  /**
   * Runs one attempt of `step` inside a span, the child of the task's stored
   * context (a new trace when it has none), active while `work` runs.
   */
  attempt<T>(
    task: TaskRecord,
    step: string,
    attempt: number,
    kind: AttemptKind,
    work: () => T | Promise<T>,
  ): Promise<T>;
}
