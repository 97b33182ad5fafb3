import {
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';
import type { TraceCarrier } from '../../ports';

// The W3C Trace Context encoding of a span context, written here rather than
// through the app's propagator: the task stores `traceparent` whatever the
// app propagates over HTTP (B3, Jaeger...), and reads it back the same way.

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The `traceparent` (and `tracestate`) of a span context; empty when it is not valid (no SDK records). */
export function carrierOf(span: SpanContext): TraceCarrier {
  if (!isSpanContextValid(span)) return {};
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${span.traceId}-${span.spanId}-${flags}`;
  const state = span.traceState?.serialize();
  return state ? { traceparent, tracestate: state } : { traceparent };
}

/** A context whose remote parent is the stored span context; the root context when there is none or it is malformed. */
export function contextOf(carrier: TraceCarrier): Context {
  const match = carrier.traceparent ? TRACEPARENT.exec(carrier.traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  const parent: SpanContext = {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16),
    isRemote: true,
    ...(carrier.tracestate ? { traceState: createTraceState(carrier.tracestate) } : {}),
  };
  return isSpanContextValid(parent) ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
}
