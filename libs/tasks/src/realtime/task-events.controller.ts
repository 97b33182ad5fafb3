import {
  Controller,
  Get,
  Headers,
  Inject,
  Injectable,
  Param,
  Query,
  Res,
  UseFilters,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { TaskEngine } from '../engine/task-engine';
import type { EventBus } from '../ports';
import { ApiErrors } from '../web/api-errors.decorator';
import { RequestCaller } from '../web/owner.decorator';
import { TaskAuthorizer } from '../core/auth/task-authorizer';
import type { Caller } from '../core/owner-resolver';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { TaskIdPipe } from '../web/task-id.pipe';
import type { ResolvedOptions } from '../core/resolved-options';
import { EVENT_BUS, RESOLVED_OPTIONS } from '../core/tokens';
import { parseLastEventId } from './last-event-id';
import { TaskEventStream } from './task-event-stream';

/** The open SSE streams of this process, ended when the module shuts down (else the HTTP server would wait for them). */
@Injectable()
export class SseStreams implements OnModuleDestroy {
  private readonly open = new Set<TaskEventStream>();

  get size(): number {
    return this.open.size;
  }

  add(stream: TaskEventStream): void {
    this.open.add(stream);
    stream.onClose(() => this.open.delete(stream));
  }

  onModuleDestroy(): void {
    for (const stream of [...this.open]) stream.end();
  }
}

/**
 * `GET /tasks/{id}/events`: the task's events as Server-Sent Events, for
 * clients that want no Socket.IO (curl, `EventSource`, proxies that only
 * speak HTTP).
 *
 * Each message is `id: <seq>` (the event's position in the task's log),
 * `event: <name>` and one `data:` line, the JSON of a `TaskEventView`. The
 * stream first replays the log after `Last-Event-ID` (header, or the
 * `lastEventId` query parameter), then sends live events, a `: keep-alive`
 * comment every `realtime.keepAliveMs` (15 s), and ends after the terminal
 * event. A client that already has the terminal event gets `204`, which
 * stops `EventSource` from reconnecting. Progress events are sent as the log
 * has them (the engine already throttles them, `engine.progressThrottleMs`):
 * every message keeps its log id, so a resume is exact.
 *
 * Written on the raw Express response (`@Res()`) rather than with Nest's
 * `@Sse()`: `@Sse()` turns an Observable into messages and owns the rest
 * (status, headers, when the response ends, no comments), while this stream
 * needs the response itself: `204` for a client that already has everything,
 * `: keep-alive` comments, an exact hand-over from the log replay to live
 * events (subscribe first, hold, de-duplicate by seq) with every `id:` taken
 * from the log, ending right after the terminal event or at shutdown, and
 * cutting off a client that does not read (bounded memory).
 */
@ApiTags('tasks')
@Controller('tasks')
@UseFilters(TaskExceptionFilter)
export class TaskEventsController {
  constructor(
    private readonly engine: TaskEngine,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    private readonly streams: SseStreams,
    private readonly access: TaskAuthorizer,
  ) {}

  @Get(':id/events')
  @ApiOperation({
    summary: "Stream the task's events (Server-Sent Events)",
    description:
      "Replays the event log after `Last-Event-ID`, then live events; ends after `task.completed`, `task.failed` or `task.cancelled`. `id` is the event's position in the log.",
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Task id' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiQuery({ name: 'lastEventId', required: false, description: 'Same as the header, for clients that cannot set it' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream', schema: { type: 'string' } })
  @ApiErrors(400, 404, 503)
  async events(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Headers('last-event-id') lastEventIdHeader: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const after = parseLastEventId(lastEventIdHeader, lastEventIdQuery);
    const owner = this.access.scope(caller);
    const stream = new TaskEventStream(res, {
      taskId: id,
      after,
      bus: this.bus,
      keepAliveMs: this.options.realtime.keepAliveMs,
      source: {
        get: () => this.engine.get(id, owner),
        events: (afterSeq) => this.engine.listEvents(id, owner, afterSeq),
      },
    });
    this.streams.add(stream);
    await stream.start();
  }
}
