// Preload (`--require`) of an app process under test: registers an OpenTelemetry SDK whose
// spans are appended, one JSON object a line, to $SPANS_DIR/<pid>.jsonl, so a test can read
// every process's spans after the fact (a SIGKILLed process keeps what it had written).
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');
const { context, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { SimpleSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace');

const file = join(process.env.SPANS_DIR, `${process.pid}.jsonl`);
const exporter = {
  export(spans, done) {
    const lines = spans.map((span) =>
      JSON.stringify({
        pid: process.pid,
        name: span.name,
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId ?? null,
        attributes: span.attributes,
      }),
    );
    appendFileSync(file, lines.map((line) => `${line}\n`).join(''));
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
