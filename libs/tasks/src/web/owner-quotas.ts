import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedOptions } from '../core/resolved-options';
import { CLOCK, RESOLVED_OPTIONS, TASK_STORE, UPLOAD_STORE } from '../core/tokens';
import type { Clock, TaskStore, UploadReservation, UploadStore } from '../ports';
import { activeTasksExceeded } from '../engine/operation-errors';
import { ApiError } from './http-error';

/**
 * The quotas of each owner (`quotas` of the module), read from the database
 * at the moment of the request, so that every API instance agrees: over one,
 * a `403` whose message and `details.quota` name it. `activeTasks` is
 * checked again by the submit itself, counted and inserted as one step
 * ({@link maxActive}), and `openUploads` by the upload's record
 * ({@link reserveUpload}): racing requests of one owner never overshoot them.
 */
@Injectable()
export class OwnerQuotas {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(TASK_STORE) private readonly store: TaskStore,
    @Inject(UPLOAD_STORE) private readonly uploads: UploadStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    const { activeTasks, storedBytes, openUploads } = options.quotas;
    if (activeTasks !== undefined && typeof store.countActive !== 'function') {
      throw new Error('Stepwise: quotas.activeTasks needs a task store that counts active tasks (countActive)');
    }
    if (storedBytes !== undefined && (!store.resultBytes || !uploads.finishedBytes)) {
      throw new Error('Stepwise: quotas.storedBytes needs stores that sum bytes (resultBytes, finishedBytes)');
    }
    if (openUploads !== undefined && (!uploads.countOpen || !uploads.reserve || !uploads.release)) {
      throw new Error('Stepwise: quotas.openUploads needs an upload store that records uploads in progress');
    }
  }

  /** What a submit (and a retry) checks: active tasks and stored bytes. */
  async assertSubmit(owner: string): Promise<void> {
    await this.assertActiveTasks(owner);
    await this.assertStoredBytes(owner);
  }

  /** The `activeTasks` quota, for the submit to count and insert as one step (`SubmitRequest.maxActive`). */
  get maxActive(): number | undefined {
    return this.options.quotas.activeTasks;
  }

  /** What a resumable upload's creation checks: stored bytes and uploads in progress. */
  async assertUploadCreation(owner: string): Promise<void> {
    await this.assertStoredBytes(owner);
    const max = this.options.quotas.openUploads;
    if (max === undefined) return;
    const open = await this.uploads.countOpen!(owner, this.clock.now());
    if (open < max) return;
    throw exceeded('openUploads', max, open, `${open} uploads in progress of at most ${max}; finish or delete one`);
  }

  /**
   * Records a tus upload in progress (the `openUploads` quota is on): only
   * while the owner has fewer than the quota, counted and recorded as one
   * step where the store can (`UploadStore.reserveWithin`), else a 403.
   */
  async reserveUpload(reservation: UploadReservation): Promise<void> {
    const max = this.options.quotas.openUploads!;
    if (!this.uploads.reserveWithin) return this.uploads.reserve!(reservation);
    const open = await this.uploads.reserveWithin(reservation, max);
    if (open === null) return;
    throw exceeded('openUploads', max, open, `${open} uploads in progress of at most ${max}; finish or delete one`);
  }

  /** Whether uploads in progress are recorded (the `openUploads` quota is on). */
  get countsOpenUploads(): boolean {
    return this.options.quotas.openUploads !== undefined;
  }

  /** Refuses when `owner` already has `quotas.activeTasks` tasks that are not terminal. */
  async assertActiveTasks(owner: string): Promise<void> {
    const max = this.options.quotas.activeTasks;
    if (max === undefined) return;
    const active = await this.store.countActive!(owner);
    // The error the exact check at insert throws: one message, one 403.
    if (active >= max) throw activeTasksExceeded(max, active);
  }

  /** Refuses when `owner` keeps `quotas.storedBytes` or more: result files and finished uploads. */
  async assertStoredBytes(owner: string): Promise<void> {
    const max = this.options.quotas.storedBytes;
    if (max === undefined) return;
    const [results, uploads] = await Promise.all([this.store.resultBytes!(owner), this.uploads.finishedBytes!(owner)]);
    const used = results + uploads;
    if (used < max) return;
    throw exceeded(
      'storedBytes',
      max,
      used,
      `${used} bytes stored of at most ${max}; delete finished tasks or uploads`,
    );
  }
}

function exceeded(quota: string, limit: number, used: number, detail: string): ApiError {
  return new ApiError(403, `Quota ${quota} exceeded: ${detail}`, { quota, limit, used });
}
