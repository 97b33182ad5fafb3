import { ForbiddenException } from '@nestjs/common';
import { ANY_OWNER, type OwnerScope, type TaskFilter } from '../../engine';
import type { TaskRecord } from '../../model';
import type { Caller } from '../owner-resolver';

/** The role that sees and acts on every owner's tasks, unless `authorize.adminRole` names another. */
export const ADMIN_ROLE = 'admin';

/** An answer of an authorization hook: synchronous or not. */
export type Verdict = boolean | Promise<boolean>;

/**
 * Authorization beyond owner equality (`authorize` in the module options).
 * Each hook runs after the task was found in the caller's scope (another
 * owner's task is still a 404, before any hook); `false` answers `403`.
 * A hook may also throw an `HttpException` of its own.
 */
export interface AuthorizeOptions {
  /**
   * The role whose callers see and act on every owner's tasks (list, get,
   * events, cancel, delete, download, stats). Default `admin`; `false` turns
   * the role off. Its tasks submitted are still its own.
   */
  adminRole?: string | false;
  /** Submitting a task of `type` (REST), and retrying one (it runs again). */
  canSubmit?(caller: Caller, type: string): Verdict;
  /** Cancelling the task, pausing and resuming it. */
  canCancel?(caller: Caller, task: TaskRecord): Verdict;
  /** Deleting the task (one, or each of a bulk delete: those refused are skipped). */
  canDelete?(caller: Caller, task: TaskRecord): Verdict;
  /** Downloading the task's result file; when refused, its result carries no presigned URL. */
  canDownload?(caller: Caller, task: TaskRecord): Verdict;
}

/** What a hook guards, on one task. */
export type TaskAction = 'cancel' | 'delete' | 'download';

const HOOKS = { cancel: 'canCancel', delete: 'canDelete', download: 'canDownload' } as const;

/**
 * Applies {@link AuthorizeOptions}: the scope a caller sees (every owner's
 * for the admin role) and the per-action hooks. Every transport asks it.
 */
export class TaskAuthorizer {
  private readonly adminRole: string | null;

  constructor(private readonly options: AuthorizeOptions = {}) {
    const role = options.adminRole ?? ADMIN_ROLE;
    if (role !== false && (typeof role !== 'string' || role.trim() === '')) {
      throw new Error('Stepwise: authorize.adminRole must be a role name or false');
    }
    this.adminRole = role === false ? null : role;
  }

  /** Whether the caller holds the admin role. */
  isAdmin(caller: Caller): boolean {
    return this.adminRole !== null && caller.roles.includes(this.adminRole);
  }

  /** The tasks the caller sees: its own, or every owner's for an admin. */
  scope(caller: Caller): OwnerScope {
    return this.isAdmin(caller) ? ANY_OWNER : caller.owner;
  }

  /** `403` unless the caller may submit (or retry) tasks of `type`. */
  async assertCanSubmit(caller: Caller, type: string): Promise<void> {
    const hook = this.options.canSubmit;
    if (hook && (await hook.call(this.options, caller, type)) !== true) {
      throw new ForbiddenException(`Not allowed to submit tasks of type "${type}"`);
    }
  }

  /** Whether the caller may do `action` on `task` (true when no hook is set). */
  async allows(action: TaskAction, caller: Caller, task: TaskRecord): Promise<boolean> {
    const hook = this.options[HOOKS[action]];
    return !hook || (await hook.call(this.options, caller, task)) === true;
  }

  /** `403` unless the caller may do `action` on `task`. */
  async assertCan(action: TaskAction, caller: Caller, task: TaskRecord): Promise<void> {
    if (!(await this.allows(action, caller, task))) {
      throw new ForbiddenException(`Not allowed to ${action} task ${task.id}`);
    }
  }

  /** The filter of a bulk `action`, or undefined when no hook applies (every task in scope goes). */
  filter(action: TaskAction | 'submit', caller: Caller): TaskFilter | undefined {
    if (action === 'submit') {
      const hook = this.options.canSubmit;
      return hook ? async (task) => (await hook.call(this.options, caller, task.type)) === true : undefined;
    }
    return this.options[HOOKS[action]] ? (task) => this.allows(action, caller, task) : undefined;
  }
}
