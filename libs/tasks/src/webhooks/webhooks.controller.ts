import { Controller, Get, Inject, Param, Res, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { TaskEngine } from '../engine/task-engine';
import { ApiErrors } from '../web/api-errors.decorator';
import { RequestCaller } from '../web/owner.decorator';
import { TaskAuthorizer } from '../core/auth/task-authorizer';
import type { Caller } from '../core/owner-resolver';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { TaskIdPipe } from '../web/task-id.pipe';
import { WEBHOOK_OUTBOX } from './webhook-tokens';
import type { WebhookOutbox } from '../ports/webhook-outbox';
import { toDeliveryView, WebhookDeliveryListDto, type WebhookDeliveryListView } from './webhook-view';

/** The delivery log of a task's webhooks, scoped like the task itself (every owner's for an admin): another owner's task is a 404. */
@ApiTags('tasks')
@Controller('tasks')
@UseFilters(TaskExceptionFilter)
export class WebhooksController {
  constructor(
    private readonly engine: TaskEngine,
    @Inject(WEBHOOK_OUTBOX) private readonly outbox: WebhookOutbox,
    private readonly access: TaskAuthorizer,
  ) {}

  /** Every delivery of the task's events (callback and subscriptions), oldest first, with its attempts. */
  @Get(':id/webhooks')
  @ApiOperation({ summary: "The task's webhook deliveries and their attempts" })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Task id' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiErrors(404, 503)
  async list(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WebhookDeliveryListView> {
    await this.engine.get(id, this.access.scope(caller));
    const deliveries = await this.outbox.listForTask(id);
    res.setHeader('Cache-Control', 'no-store');
    return { items: deliveries.map(toDeliveryView) };
  }
}
