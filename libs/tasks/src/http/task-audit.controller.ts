import { Controller, Get, Header, Param, Query, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { TaskEngine } from '../engine/task-engine';
import { TaskAuthorizer } from '../core/auth/task-authorizer';
import type { Caller } from '../core/owner-resolver';
import { ApiErrors } from '../web/api-errors.decorator';
import { TaskAuditDto } from '../web/openapi-models';
import { RateLimited } from '../web/rate-limit.guard';
import { RequestCaller } from '../web/owner.decorator';
import { toAuditEntryView, type TaskAuditView } from '../web/task-audit-view';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { TaskIdPipe } from '../web/task-id.pipe';
import { MAX_AUDIT_PAGE, parseAuditQuery } from './audit-query';

/**
 * `GET /tasks/{id}/audit`: the task's whole event log as JSON pages, the
 * audit-only events too (`task.cancel_requested`, `task.retried`,
 * `task.downloaded`, ...), each with who asked for it (`actor`). The SSE
 * stream of `/events` shows clients only the public events.
 */
@ApiTags('tasks')
@Controller('tasks')
@UseFilters(TaskExceptionFilter)
@RateLimited()
export class TaskAuditController {
  constructor(
    private readonly engine: TaskEngine,
    private readonly access: TaskAuthorizer,
  ) {}

  @Get(':id/audit')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "The task's event log with who asked for each change",
    description:
      'Oldest first. `actor` is the caller that submitted, cancelled, paused, resumed, deleted, retried or downloaded; `system` for application code, `schedule:<name>` for a schedule; absent for what the engine did on its own.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Task id' })
  @ApiQuery({ name: 'after', required: false, description: 'Entries after this `seq` (`nextAfter` of the last page)' })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, default: 100 },
  })
  @ApiOkResponse({ type: TaskAuditDto })
  @ApiErrors(400, 404, 503)
  async audit(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Query() query: Record<string, unknown>,
  ): Promise<TaskAuditView> {
    const { after, limit } = parseAuditQuery(query);
    const events = await this.engine.listEvents(id, this.access.scope(caller), after, limit);
    const items = events.map((event) => toAuditEntryView({ ...event, seq: event.seq ?? 0 }));
    return { items, nextAfter: items.length === limit ? items[items.length - 1].seq : null };
  }
}
