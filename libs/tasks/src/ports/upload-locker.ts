/**
 * The lock tus takes on an upload for each request that touches it: tus's own
 * `Locker` contract (`@tus/utils`), spelled here so that the module's options
 * type-check without tus installed (it is an optional peer dependency).
 */
export interface UploadLocker {
  newLock(id: string): UploadLock;
}

/** Called on the holder when another request wants the lock. */
export type RequestRelease = () => Promise<void> | void;

export interface UploadLock {
  /** Acquires the lock; rejects once `signal` aborts. `requestRelease` asks the holder to let go. */
  lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void>;
  unlock(): Promise<void>;
}
