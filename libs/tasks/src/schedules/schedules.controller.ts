import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { TaskEngine } from '../engine/task-engine';
import { ApiErrors } from '../web/api-errors.decorator';
import { RateLimited } from '../web/rate-limit.guard';
import { Owner } from '../web/owner.decorator';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { parseScheduleBody } from './schedule-body';
import { toScheduleView, type ScheduleListView, type ScheduleView } from './schedule-view';
import { schedulesPath } from './schedules-path';

const NAME_PARAM = { name: 'name', description: 'Schedule name, e.g. `report:nightly` or `acme-monthly`' } as const;

/**
 * Cron schedules over REST, scoped to the caller: another owner's schedule
 * is a 404, and a schedule added here belongs to (and submits its tasks as)
 * the caller. Errors are `{ statusCode, error, message, details? }`; a bad
 * field is a 400 whose `details` name it.
 */
@ApiTags('schedules')
@Controller('schedules')
@UseFilters(TaskExceptionFilter)
@RateLimited()
export class SchedulesController {
  constructor(private readonly engine: TaskEngine) {}

  /** The caller's schedules, by name, each with its next run. */
  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'List schedules with their next run' })
  @ApiOkResponse({ description: '`{ items: [{ name, type, cron, timezone, nextRunAt, lastSlotAt, paused, ... }] }`' })
  @ApiErrors(503)
  async list(@Owner() owner: string, @Req() req: Request): Promise<ScheduleListView> {
    const base = schedulesPath(req);
    return { items: (await this.engine.scheduler.list(owner)).map((info) => toScheduleView(info, base)) };
  }

  /** Adds a schedule: `201` with `Location`; `409` when the name is taken. */
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a schedule' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'type', 'cron'],
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' },
        type: { type: 'string', description: 'Task type' },
        cron: { type: 'string', description: '5 fields (minute first) or 6 (seconds first), or @daily...' },
        timezone: { type: 'string', default: 'UTC', description: 'IANA time zone, e.g. Europe/Paris' },
        input: { type: 'object', additionalProperties: true, description: 'Input of each task' },
        missed: { type: 'string', enum: ['latest', 'skip'], default: 'latest' },
      },
    },
  })
  @ApiCreatedResponse({ description: 'The schedule', headers: { Location: { schema: { type: 'string' } } } })
  @ApiErrors(400, 409, 503)
  async add(
    @Owner() owner: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ScheduleView> {
    const view = toScheduleView(
      await this.engine.scheduler.add(parseScheduleBody(body, owner), { httpOnly: true }),
      schedulesPath(req),
    );
    res.setHeader('Location', view.links.self);
    return view;
  }

  @Get(':name')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Read a schedule' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ description: 'The schedule' })
  @ApiErrors(404, 503)
  async get(@Param('name') name: string, @Owner() owner: string, @Req() req: Request): Promise<ScheduleView> {
    return toScheduleView(await this.engine.scheduler.get(name, owner), schedulesPath(req));
  }

  /** No task until resumed (a declared schedule stays paused across restarts). */
  @Post(':name/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a schedule' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ description: 'The schedule, paused' })
  @ApiErrors(404, 503)
  async pause(@Param('name') name: string, @Owner() owner: string, @Req() req: Request): Promise<ScheduleView> {
    return toScheduleView(await this.engine.scheduler.setPaused(name, true, owner), schedulesPath(req));
  }

  /** Runs again from the next slot: slots passed while paused are not made up for. */
  @Post(':name/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a schedule' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ description: 'The schedule, with its next run' })
  @ApiErrors(404, 503)
  async resume(@Param('name') name: string, @Owner() owner: string, @Req() req: Request): Promise<ScheduleView> {
    return toScheduleView(await this.engine.scheduler.setPaused(name, false, owner), schedulesPath(req));
  }

  /** Removes a schedule added at run time (its tasks stay); a declared one is a `409`. */
  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a schedule' })
  @ApiParam(NAME_PARAM)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(404, 409, 503)
  async remove(@Param('name') name: string, @Owner() owner: string): Promise<void> {
    await this.engine.scheduler.remove(name, owner);
  }
}
