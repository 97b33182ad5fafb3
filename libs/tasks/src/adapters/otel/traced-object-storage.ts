import type { Readable } from 'node:stream';
import { SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type {
  ByteRange,
  ObjectInfo,
  ObjectStorage,
  PresignGetOptions,
  PutOptions,
  StoredObject,
  UploadLayout,
  UploadLayoutOptions,
} from '../../ports';
import { inSpan, STEPWISE_TRACER } from './otel-task-tracer';

/**
 * An {@link ObjectStorage} whose `put`, `get`, `head`, `delete` and
 * `deletePrefix` are spans (children of the step attempt that calls them).
 * A `get`'s span ends when the stream is open, not when it is read.
 */
export class TracedObjectStorage implements ObjectStorage {
  readonly presignGet?: (key: string, options: PresignGetOptions) => Promise<string>;
  readonly uploadLayout?: (options: UploadLayoutOptions) => Promise<UploadLayout>;

  constructor(
    private readonly inner: ObjectStorage,
    private readonly tracer: Tracer = trace.getTracer(STEPWISE_TRACER),
  ) {
    // Optional capabilities stay optional: callers test for them.
    if (inner.presignGet) this.presignGet = inner.presignGet.bind(inner);
    if (inner.uploadLayout) this.uploadLayout = inner.uploadLayout.bind(inner);
  }

  put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject> {
    return this.span('put', key, () => this.inner.put(key, body, options));
  }

  get(key: string, range?: ByteRange): Promise<Readable> {
    return this.span('get', key, () => this.inner.get(key, range));
  }

  head(key: string): Promise<ObjectInfo | null> {
    return this.span('head', key, () => this.inner.head(key));
  }

  delete(key: string): Promise<void> {
    return this.span('delete', key, () => this.inner.delete(key));
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.span('deletePrefix', prefix, () => this.inner.deletePrefix(prefix));
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  private span<T>(operation: string, key: string, work: () => Promise<T>): Promise<T> {
    const attributes = { 'stepwise.storage.operation': operation, 'stepwise.storage.key': key };
    return this.tracer.startActiveSpan(`stepwise.storage ${operation}`, { kind: SpanKind.CLIENT, attributes }, (span) =>
      inSpan(span, work),
    );
  }
}
