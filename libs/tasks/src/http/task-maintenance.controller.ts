import { Controller, Delete, Get, Header, HttpCode, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { DeleteFinishedView, RetryFailedView, TaskStatsView } from '@stepwise/contract';
import { TaskEngine, type OwnerScope } from '../engine/task-engine';
import { ApiErrors } from '../web/api-errors.decorator';
import { OwnerQuotas } from '../web/owner-quotas';
import { RateLimitAs, RateLimited } from '../web/rate-limit.guard';
import { RequestCaller } from '../web/owner.decorator';
import { TaskAuthorizer } from '../core/auth/task-authorizer';
import type { Caller } from '../core/owner-resolver';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { TaskIdPipe } from '../web/task-id.pipe';
import type { TaskView } from '../web/task-view';
import { toTaskView } from '../web/task-view.mapper';
import { parseCleanupQuery, parseRetryQuery } from './cleanup-query';
import { tasksPath } from './tasks-path';

/**
 * Operating many tasks at once: counts, and bulk cleanup of finished ones.
 * Registered before `TasksController`, so that `/tasks/stats` is not read
 * as a task id.
 */
@ApiTags('tasks')
@Controller('tasks')
@UseFilters(TaskExceptionFilter)
@RateLimited()
export class TaskMaintenanceController {
  constructor(
    private readonly engine: TaskEngine,
    private readonly access: TaskAuthorizer,
    private readonly quotas: OwnerQuotas,
  ) {}

  /** The caller's tasks (every owner's for an admin) counted by status and by type, and the oldest pending task's wait. */
  @Get('stats')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Count tasks by status and type' })
  @ApiOkResponse({ description: '`{ total, byStatus, byType, oldestPendingAgeMs }`' })
  @ApiErrors(503)
  stats(@RequestCaller() caller: Caller): Promise<TaskStatsView> {
    return this.engine.stats(this.access.scope(caller));
  }

  /**
   * Deletes the caller's finished tasks that match (with their files, events
   * and webhook rows), in batches; a task that is not finished is never
   * deleted this way, nor one `authorize.canDelete` refuses. `200 { deleted }`.
   */
  @Delete()
  @ApiOperation({ summary: 'Delete finished tasks in bulk' })
  @ApiQuery({
    name: 'status',
    required: false,
    description: 'Comma-separated: completed, failed, cancelled (default all three)',
  })
  @ApiQuery({ name: 'type', required: false })
  @ApiQuery({ name: 'finishedBefore', required: false, description: 'ISO 8601 time' })
  @ApiOkResponse({ description: '`{ deleted: <count> }`' })
  @ApiErrors(400, 503)
  async cleanup(@RequestCaller() caller: Caller, @Query() query: Record<string, unknown>): Promise<DeleteFinishedView> {
    const filter = { ...parseCleanupQuery(query), owner: this.access.scope(caller) as OwnerScope };
    return { deleted: await this.engine.purgeFinished(filter, this.access.filter('delete', caller)) };
  }

  /**
   * Runs the caller's failed tasks that match again, each from its failed
   * step (`type`, `finishedAfter`, `finishedBefore`), those
   * `authorize.canSubmit` allows. `200 { retried }`.
   */
  @Post('retry')
  @RateLimitAs('submit')
  @HttpCode(200)
  @ApiOperation({ summary: 'Retry failed tasks in bulk' })
  @ApiQuery({ name: 'type', required: false })
  @ApiQuery({ name: 'finishedAfter', required: false, description: 'ISO 8601 time' })
  @ApiQuery({ name: 'finishedBefore', required: false, description: 'ISO 8601 time' })
  @ApiOkResponse({ description: '`{ retried: <count> }`' })
  @ApiErrors(400, 503)
  async retryMany(@RequestCaller() caller: Caller, @Query() query: Record<string, unknown>): Promise<RetryFailedView> {
    const filter = { ...parseRetryQuery(query), owner: this.access.scope(caller) as OwnerScope };
    // A retried task becomes active again and stores its result: both quotas, as a submit.
    await this.quotas.assertSubmit(caller.owner);
    return { retried: await this.engine.retryFailed(filter, caller.owner, this.access.filter('submit', caller)) };
  }

  /**
   * Runs a failed task again from the step that failed, keeping the outputs
   * of the steps that completed: `202` with the task view; `409` unless it
   * is `failed`; `403` when `authorize.canSubmit` refuses its type.
   */
  @Post(':id/retry')
  @RateLimitAs('submit')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed task from its failed step' })
  @ApiErrors(404, 409, 503)
  async retry(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
  ): Promise<TaskView> {
    const scope = this.access.scope(caller);
    const task = await this.engine.get(id, scope);
    await this.access.assertCanSubmit(caller, task.type);
    // The task becomes active again for its owner (an admin may retry another owner's), and will store its result.
    await this.quotas.assertSubmit(task.owner);
    return toTaskView(await this.engine.retry(id, scope, caller.owner), tasksPath(req));
  }
}
