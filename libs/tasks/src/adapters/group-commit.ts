/** How a {@link GroupCommit} forms its batches. */
export interface GroupCommitOptions<Req> {
  /** Most requests in one batch. */
  maxBatch: number;
  /** Most batches running at once; requests arriving meanwhile wait and form the next batch. */
  maxInFlight: number;
  /**
   * Requests with the same key never share a batch (two writes of one row in
   * one statement): a later one waits for a batch of its own, after the one
   * before it has settled.
   */
  key?: (request: Req) => string;
}

interface Queued<Req, Res> {
  request: Req;
  resolve: (result: Res) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: the requests made while earlier batches are running, or in
 * the same turn of the event loop as others, are handed to `run` together,
 * which answers each in order (one statement or one round trip for all of
 * them). A request made while nothing runs goes at once, alone; one made
 * while a batch runs waits one turn (`setImmediate`) at most for others to
 * join it, or for a free slot; under load the batches grow by themselves. When `run` throws for a batch of several, each
 * request is tried again alone, so a failure is answered only to the request
 * it belongs to (the batch was one atomic write: nothing of it happened).
 */
export class GroupCommit<Req, Res> {
  private queued: Array<Queued<Req, Res>> = [];
  private inFlight = 0;
  private scheduled = false;
  /** Keys of the requests in running batches: a request with one of them waits. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly run: (requests: Req[]) => Promise<Res[]>,
    private readonly options: GroupCommitOptions<Req>,
  ) {}

  submit(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.queued.push({ request, resolve, reject });
      // Idle: no batch to wait for, nothing to gain by waiting a turn.
      if (this.inFlight === 0 && this.queued.length === 1 && !this.scheduled) return this.drain();
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    });
  }

  private drain(): void {
    while (this.queued.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.take();
      if (batch.length === 0) return;
      void this.runBatch(batch);
    }
  }

  /** The next batch: queued requests in order, none whose key is taken by it or by a running batch. */
  private take(): Array<Queued<Req, Res>> {
    const { key, maxBatch } = this.options;
    if (!key) return this.queued.splice(0, maxBatch);
    const batch: Array<Queued<Req, Res>> = [];
    const left: Array<Queued<Req, Res>> = [];
    const taken = new Set<string>();
    for (const item of this.queued) {
      const k = key(item.request);
      // A request behind one with its key waits too: the order of one key's requests is kept.
      if (batch.length >= maxBatch || taken.has(k) || this.running.has(k)) {
        taken.add(k);
        left.push(item);
        continue;
      }
      taken.add(k);
      batch.push(item);
    }
    this.queued = left;
    return batch;
  }

  private async runBatch(batch: Array<Queued<Req, Res>>): Promise<void> {
    this.inFlight++;
    const keys = this.options.key ? batch.map((item) => this.options.key!(item.request)) : [];
    for (const k of keys) this.running.set(k, (this.running.get(k) ?? 0) + 1);
    try {
      await this.settle(batch);
    } finally {
      for (const k of keys) {
        const n = this.running.get(k)! - 1;
        if (n === 0) this.running.delete(k);
        else this.running.set(k, n);
      }
      this.inFlight--;
      this.drain();
    }
  }

  private async settle(batch: Array<Queued<Req, Res>>): Promise<void> {
    let results: Res[];
    try {
      results = await this.run(batch.map((item) => item.request));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      // Alone, each request gets its own answer, and its own error.
      await Promise.all(batch.map((item) => this.settle([item])));
      return;
    }
    batch.forEach((item, i) => item.resolve(results[i]));
  }
}
