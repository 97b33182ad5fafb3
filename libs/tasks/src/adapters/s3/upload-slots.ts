/**
 * Counts the uploads in flight and makes the others wait their turn, so that
 * the part buffers of every upload of a process fit in a known amount of
 * memory however many clients upload at once. A waiting upload holds no
 * buffer: its source is not read, and a client sending it is slowed by TCP
 * back-pressure.
 */
export class UploadSlots {
  private inUse = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new Error('S3Storage: maxConcurrentUploads must be >= 1');
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` fires first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.inUse--;
        this.waiting.shift()?.();
      };
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.inUse++;
        resolve(release);
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      if (this.inUse < this.size) return grant();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  /** Uploads running now. */
  get active(): number {
    return this.inUse;
  }

  /** Uploads waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}
