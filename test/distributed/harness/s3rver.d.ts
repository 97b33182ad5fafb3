/** The part of s3rver 3.x (a Koa app, untyped) that the harness uses. */
declare module 's3rver' {
  import type { IncomingMessage, Server } from 'node:http';

  namespace S3rver {
    interface Options {
      address?: string;
      port?: number;
      silent?: boolean;
      directory?: string;
      resetOnClose?: boolean;
      allowMismatchedSignatures?: boolean;
      vhostBuckets?: boolean;
      configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
    }

    /** Koa's context, as far as a middleware of the harness needs it. */
    interface Context {
      method: string;
      path: string;
      query: Record<string, string | string[] | undefined>;
      req: IncomingMessage;
      status: number;
      body: unknown;
      type: string;
      headers: Record<string, string | string[] | undefined>;
      set(name: string, value: string): void;
    }

    type Middleware = (ctx: Context, next: () => Promise<void>) => unknown;

    interface StoredObject {
      key: string;
      size: number;
      lastModifiedDate: Date;
      metadata: Record<string, string>;
    }

    /** s3rver's filesystem store. */
    interface Store {
      listObjects(
        bucket: string,
        options: { prefix?: string; startAfter?: string; maxKeys?: number; delimiter?: string },
      ): Promise<{ objects: StoredObject[]; commonPrefixes: string[]; isTruncated: boolean }>;
      existsObject(bucket: string, key: string): Promise<boolean>;
      deleteObject(bucket: string, key: string): Promise<void>;
    }
  }

  class S3rver {
    constructor(options?: S3rver.Options);
    /** Koa's middleware stack, composed when the server starts listening. */
    middleware: S3rver.Middleware[];
    store: S3rver.Store;
    httpServer?: Server;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }

  export = S3rver;
}
