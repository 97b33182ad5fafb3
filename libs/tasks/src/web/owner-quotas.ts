import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS, TASK_STORE } from '../core/tokens';
import type { TaskStore } from '../ports';
import { ApiError } from './http-error';

/**
 * The quotas of each owner (`quotas` of the module), read from the database
 * at the moment of the request, so that every API instance agrees: over one,
 * a `403` whose message and `details.quota` name it.
 */
@Injectable()
export class OwnerQuotas {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(TASK_STORE) private readonly store: TaskStore,
  ) {
    if (options.quotas.activeTasks !== undefined && typeof store.countActive !== 'function') {
      throw new Error('Stepwise: quotas.activeTasks needs a task store that counts active tasks (countActive)');
    }
  }

  /** Refuses when `owner` already has `quotas.activeTasks` tasks that are not terminal. */
  async assertActiveTasks(owner: string): Promise<void> {
    const max = this.options.quotas.activeTasks;
    if (max === undefined) return;
    const active = await this.store.countActive!(owner);
    if (active < max) return;
    throw new ApiError(
      403,
      `Quota activeTasks exceeded: ${active} active tasks of at most ${max}; submit again when some have finished`,
      { quota: 'activeTasks', limit: max, used: active },
    );
  }
}
