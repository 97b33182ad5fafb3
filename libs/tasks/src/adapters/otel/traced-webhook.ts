import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { TraceCarrier } from '../../ports';
import { inSpan, STEPWISE_TRACER } from './otel-task-tracer';
import { carrierOf } from './trace-context';

/** What a webhook delivery attempt's span says about it. */
export interface DeliveryAttempt {
  id: string;
  event: string;
  taskId: string;
  attempt: number;
}

/**
 * Runs one webhook delivery attempt inside a span (`stepwise.webhook
 * <event>`); `send` gets the span's `traceparent` to pass on, so the
 * receiver may continue the trace. A non-2xx answer is an error status.
 */
export function tracedDelivery<R extends { statusCode: number }>(
  delivery: DeliveryAttempt,
  send: (trace: TraceCarrier) => Promise<R>,
  tracer: Tracer = trace.getTracer(STEPWISE_TRACER),
): Promise<R> {
  const attributes = {
    'stepwise.webhook.delivery': delivery.id,
    'stepwise.webhook.event': delivery.event,
    'stepwise.webhook.attempt': delivery.attempt,
    'stepwise.task.id': delivery.taskId,
  };
  return tracer.startActiveSpan(`stepwise.webhook ${delivery.event}`, { kind: SpanKind.CLIENT, attributes }, (span) =>
    inSpan(span, async () => {
      const response = await send(carrierOf(span.spanContext()));
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode < 200 || response.statusCode >= 300) span.setStatus({ code: SpanStatusCode.ERROR });
      return response;
    }),
  );
}
