import { Controller, Delete, Get, Header, HttpCode, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { TaskEngine, type TaskStatsSummary } from '../engine/task-engine';
import { ApiErrors } from '../web/api-errors.decorator';
import { Owner } from '../web/owner.decorator';
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
export class TaskMaintenanceController {
  constructor(private readonly engine: TaskEngine) {}

  /** The caller's tasks counted by status and by type, and the oldest pending task's wait. */
  @Get('stats')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Count tasks by status and type' })
  @ApiOkResponse({ description: '`{ total, byStatus, byType, oldestPendingAgeMs }`' })
  @ApiErrors(503)
  stats(@Owner() owner: string): Promise<TaskStatsSummary> {
    return this.engine.stats(owner);
  }

  /**
   * Deletes the caller's finished tasks that match (with their files, events
   * and webhook rows), in batches; a task that is not finished is never
   * deleted this way. `200 { deleted }`.
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
  async cleanup(@Owner() owner: string, @Query() query: Record<string, unknown>): Promise<{ deleted: number }> {
    return { deleted: await this.engine.purgeFinished({ ...parseCleanupQuery(query), owner }) };
  }

  /**
   * Runs the caller's failed tasks that match again, each from its failed
   * step (`type`, `finishedAfter`, `finishedBefore`). `200 { retried }`.
   */
  @Post('retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Retry failed tasks in bulk' })
  @ApiQuery({ name: 'type', required: false })
  @ApiQuery({ name: 'finishedAfter', required: false, description: 'ISO 8601 time' })
  @ApiQuery({ name: 'finishedBefore', required: false, description: 'ISO 8601 time' })
  @ApiOkResponse({ description: '`{ retried: <count> }`' })
  @ApiErrors(400, 503)
  async retryMany(@Owner() owner: string, @Query() query: Record<string, unknown>): Promise<{ retried: number }> {
    return { retried: await this.engine.retryFailed({ ...parseRetryQuery(query), owner }) };
  }

  /**
   * Runs a failed task again from the step that failed, keeping the outputs
   * of the steps that completed: `202` with the task view; `409` unless it
   * is `failed`.
   */
  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed task from its failed step' })
  @ApiErrors(404, 409, 503)
  async retry(@Param('id', TaskIdPipe) id: string, @Owner() owner: string, @Req() req: Request): Promise<TaskView> {
    return toTaskView(await this.engine.retry(id, owner), tasksPath(req));
  }
}
