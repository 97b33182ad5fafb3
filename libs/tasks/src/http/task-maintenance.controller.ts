import { Controller, Delete, Get, Header, Query, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { TaskEngine, type TaskStatsSummary } from '../engine/task-engine';
import { ApiErrors } from '../web/api-errors.decorator';
import { Owner } from '../web/owner.decorator';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { parseCleanupQuery } from './cleanup-query';

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
}
