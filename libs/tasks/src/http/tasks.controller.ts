import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Optional,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { TaskEngine, type OwnerScope } from '../engine/task-engine';
import { TASK_STATUSES } from '../model';
import { ApiErrors } from '../web/api-errors.decorator';
import { RateLimitAs, RateLimited } from '../web/rate-limit.guard';
import { badRequest, unsupportedMediaType } from '../web/http-error';
import { hasBody, isJsonMediaType, mediaTypeOf, readJsonBody } from './request-body';
import { assertStorableInput } from './input-guard';
import { parseListQuery } from './list-query';
import { TaskListDto, TaskResultDto, TaskViewDto } from '../web/openapi-models';
import { RequestCaller } from '../web/owner.decorator';
import { assertCompleted } from './result-availability';
import { ResultDownloadService } from './result-download.service';
import { TaskAuthorizer, type TaskAction } from '../core/auth/task-authorizer';
import type { Caller } from '../core/owner-resolver';
import { WEBHOOK_SETTINGS } from '../core/tokens';
import type { WebhookSettings } from '../core/webhook-settings';
import { parseSchedule, parseSingleton, parseSubmitOptions } from './submit-options';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { TaskIdPipe } from '../web/task-id.pipe';
import { TaskSubmissionService } from './task-submission.service';
import { TaskTypePipe } from './task-type.pipe';
import type { TaskListView, TaskResultView, TaskView } from '../web/task-view';
import { toResultView, toTaskView } from '../web/task-view.mapper';
import { tasksPath } from './tasks-path';

const ID_PARAM = { name: 'id', format: 'uuid', description: 'Task id' } as const;
const LOCATION = { Location: { description: 'URL of the task', schema: { type: 'string' } } };

/**
 * The REST API of tasks (see DESIGN.md, "REST"), scoped to the request's
 * owner (every owner's for the admin role): another owner's task is a 404.
 * The `authorize` hooks answer 403 after that. Errors are `{ statusCode,
 * error, message, details? }`.
 */
@ApiTags('tasks')
@Controller('tasks')
@UseFilters(TaskExceptionFilter)
@RateLimited()
export class TasksController {
  constructor(
    private readonly engine: TaskEngine,
    private readonly submissions: TaskSubmissionService,
    private readonly downloads: ResultDownloadService,
    private readonly access: TaskAuthorizer,
    @Optional() @Inject(WEBHOOK_SETTINGS) private readonly webhooks?: Pick<WebhookSettings, 'allowPrivate'>,
  ) {}

  /**
   * Lists the owner's tasks, newest first. `X-Total-Count` counts every
   * match, not only this page.
   */
  @Get()
  @ApiOperation({ summary: 'List tasks' })
  @ApiQuery({ name: 'type', required: false })
  @ApiQuery({ name: 'status', required: false, enum: TASK_STATUSES })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiQuery({ name: 'cursor', required: false, description: '`nextCursor` of the previous page' })
  @ApiOkResponse({
    type: TaskListDto,
    headers: { 'X-Total-Count': { description: 'Matching tasks', schema: { type: 'integer' } } },
  })
  @ApiErrors(400, 503)
  async list(
    @RequestCaller() caller: Caller,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TaskListView> {
    const page = await this.engine.list(parseListQuery(query, this.access.scope(caller)));
    res.setHeader('X-Total-Count', String(page.total));
    exposeHeader(res, 'X-Total-Count');
    res.setHeader('Cache-Control', 'no-store');
    const base = tasksPath(req);
    return { items: page.items.map((task) => toTaskView(task, base)), nextCursor: page.nextCursor };
  }

  /**
   * Submits a task: `202` with `Location`. The same `Idempotency-Key` again
   * with the same request answers the first task (also `202`, with
   * `Idempotent-Replayed: true`); with another input it is a `422`. With
   * `?singletonKey=`, while an unfinished task of the type holds the key, the
   * answer is that task with `200` and `Singleton-Replayed: true` (or a `409`
   * with `?singleton=conflict`).
   */
  @Post(':type')
  @RateLimitAs('submit')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit a task',
    description:
      'JSON input, or multipart/form-data with file parts named `files` (for task types that accept files) and text fields; a field `input` holding a JSON object is merged into the input.',
  })
  @ApiParam({ name: 'type', description: 'Task type, e.g. `create-zip`' })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({
    required: false,
    schema: {
      type: 'object',
      additionalProperties: true,
      properties: {
        files: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'multipart only' },
        input: { type: 'string', description: 'multipart only: a JSON object merged into the input' },
      },
    },
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retry-safe submit: same key and request, same task; same key, another input: 422',
  })
  @ApiQuery({ name: 'callbackUrl', required: false, description: 'Absolute http(s) URL notified by webhook' })
  @ApiQuery({
    name: 'runAt',
    required: false,
    description: 'ISO 8601 time the task becomes due (at most a year ahead)',
  })
  @ApiQuery({ name: 'delayMs', required: false, description: 'Due this many milliseconds after the submit' })
  @ApiQuery({
    name: 'singletonKey',
    required: false,
    description:
      'At most one unfinished task of the type with this key (1 to 200 printable characters): while one holds it, the answer is that task (200)',
  })
  @ApiQuery({
    name: 'singleton',
    required: false,
    enum: ['existing', 'conflict'],
    description: 'What a held singletonKey answers: the holder (200, the default) or 409',
  })
  @ApiAcceptedResponse({
    type: TaskViewDto,
    headers: { ...LOCATION, 'Idempotent-Replayed': { description: '`true` on a replay', schema: { type: 'string' } } },
  })
  @ApiOkResponse({
    type: TaskViewDto,
    description: 'The unfinished task that holds the singletonKey',
    headers: { ...LOCATION, 'Singleton-Replayed': { description: '`true`', schema: { type: 'string' } } },
  })
  @ApiErrors(400, 404, 409, 413, 415, 422, 503)
  async submit(
    @Param('type', TaskTypePipe) type: string,
    @RequestCaller() caller: Caller,
    @Query('callbackUrl') callbackUrl: unknown,
    @Query('runAt') runAt: unknown,
    @Query('delayMs') delayMs: unknown,
    @Query('singletonKey') singletonKey: unknown,
    @Query('singleton') singleton: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    // What the URL alone shows to be private is a 400 now, not a failed delivery later.
    const options = {
      ...parseSubmitOptions(req.headersDistinct['idempotency-key'], callbackUrl, {
        allowPrivate: this.webhooks?.allowPrivate ?? false,
      }),
      ...parseSchedule(runAt, delayMs),
      ...parseSingleton(singletonKey, singleton),
    };
    await this.access.assertCanSubmit(caller, type);
    const { task, created, existing } = await this.submissions.submit(req, {
      type,
      owner: caller.owner,
      actor: caller.owner,
      ...options,
    });
    const view = toTaskView(task, tasksPath(req));
    res.setHeader('Location', view.links.self);
    if (existing === 'singleton') {
      // Not this request's task: the one already under way with its key.
      res.setHeader('Singleton-Replayed', 'true');
      exposeHeader(res, 'Singleton-Replayed');
      res.status(200).json(view);
      return;
    }
    if (!created) {
      res.setHeader('Idempotent-Replayed', 'true');
      exposeHeader(res, 'Idempotent-Replayed');
    }
    res.status(202).json(view);
  }

  /**
   * The task's status. With `?redirect=true`, a completed task answers
   * `303 See Other` to its result instead, so a polling client follows one
   * link to the output (the asynchronous request-reply pattern).
   */
  @Get(':id')
  @ApiOperation({ summary: 'Get the status of a task' })
  @ApiParam(ID_PARAM)
  @ApiQuery({
    name: 'redirect',
    required: false,
    enum: ['true', 'false'],
    description: '`true`: 303 to the result once completed',
  })
  @ApiOkResponse({ type: TaskViewDto })
  @ApiResponse({ status: 303, description: 'Completed; see `Location`', headers: LOCATION })
  @ApiErrors(400, 404, 503)
  async get(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Query('redirect') redirect: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const follow = parseFlag('redirect', redirect);
    const task = await this.engine.get(id, this.access.scope(caller));
    const view = toTaskView(task, tasksPath(req), await this.engine.children(task.id));
    res.setHeader('Cache-Control', 'no-store');
    if (follow && view.links.result) {
      res.status(303).location(view.links.result).end();
      return;
    }
    res.status(200).json(view);
  }

  /** The output once completed; `409` with the current status before (and the error when it failed). */
  @Get(':id/result')
  @ApiOperation({ summary: 'Get the result of a completed task' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: TaskResultDto })
  @ApiErrors(404, 409, 503)
  async result(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TaskResultView> {
    const task = await this.engine.get(id, this.access.scope(caller));
    assertCompleted(task);
    res.setHeader('Cache-Control', 'no-store');
    // A presigned URL is a download that bypasses this API: only for a caller who may download.
    const presignedUrl =
      task.resultFile && (await this.access.allows('download', caller, task))
        ? await this.downloads.presignedUrl(task)
        : undefined;
    return toResultView(task, tasksPath(req), { presignedUrl });
  }

  /** Streams the task's result file; supports a single `Range`. */
  @Get(':id/download')
  @ApiOperation({ summary: "Download the task's result file" })
  @ApiParam(ID_PARAM)
  @ApiHeader({ name: 'Range', required: false, description: 'One range: `bytes=a-b`, `bytes=a-` or `bytes=-n`' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The file', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 206, description: 'The requested range', schema: { type: 'string', format: 'binary' } })
  @ApiErrors(404, 409, 416, 503)
  async download(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const task = await this.engine.get(id, this.access.scope(caller));
    await this.access.assertCan('download', caller, task);
    // Recorded once the file is open, not awaited: the download does not wait for the log.
    await this.downloads.send(task, req, res, (range) =>
      this.engine.recordDownload(task, caller.owner, range && `bytes ${range.start}-${range.end}`),
    );
  }

  /** Requests cancellation: `202`; running steps abort, finished ones are compensated. */
  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a task' })
  @ApiParam(ID_PARAM)
  @ApiAcceptedResponse({ type: TaskViewDto })
  @ApiErrors(404, 409, 503)
  async cancel(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
  ): Promise<TaskView> {
    const scope = await this.authorized('cancel', id, caller);
    return toTaskView(await this.engine.cancel(id, scope, caller.owner), tasksPath(req));
  }

  /**
   * Sends a signal a step of the task waits for (`ctx.waitForSignal(name)`):
   * `202`. The JSON body is its payload, checked against the schema the step
   * declares. A task waiting for it is woken; one that does not wait yet
   * keeps it for the step that will. Authorized as a cancel is.
   */
  @Post(':id/signals/:name')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a signal to a task' })
  @ApiParam(ID_PARAM)
  @ApiParam({ name: 'name', description: 'A signal declared by a step of the task type (`@Step({ signals })`)' })
  @ApiBody({ required: false, description: "The payload (JSON), validated by the signal's schema" })
  @ApiAcceptedResponse({ type: TaskViewDto })
  @ApiErrors(400, 404, 409, 413, 415, 503)
  async signal(
    @Param('id', TaskIdPipe) id: string,
    @Param('name') name: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
  ): Promise<TaskView> {
    const scope = await this.authorized('cancel', id, caller);
    const mediaType = mediaTypeOf(req);
    if (hasBody(req) && !isJsonMediaType(mediaType)) throw unsupportedMediaType('Send the payload as application/json');
    const payload = await readJsonBody(req);
    assertStorableInput(payload);
    return toTaskView(await this.engine.signal(id, scope, name, payload ?? null, caller.owner), tasksPath(req));
  }

  /** Pauses between steps (a waiting task at once): `202`. */
  @Post(':id/pause')
  @HttpCode(202)
  @ApiOperation({ summary: 'Pause a task' })
  @ApiParam(ID_PARAM)
  @ApiAcceptedResponse({ type: TaskViewDto })
  @ApiErrors(404, 409, 503)
  async pause(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
  ): Promise<TaskView> {
    const scope = await this.authorized('cancel', id, caller);
    return toTaskView(await this.engine.pause(id, scope, caller.owner), tasksPath(req));
  }

  /** Resumes a paused task: `202`. */
  @Post(':id/resume')
  @HttpCode(202)
  @ApiOperation({ summary: 'Resume a task' })
  @ApiParam(ID_PARAM)
  @ApiAcceptedResponse({ type: TaskViewDto })
  @ApiErrors(404, 409, 503)
  async resume(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
  ): Promise<TaskView> {
    const scope = await this.authorized('cancel', id, caller);
    return toTaskView(await this.engine.resume(id, scope, caller.owner), tasksPath(req));
  }

  /**
   * A finished task is deleted at once with its events, files and webhook
   * deliveries: `204`. An unfinished one is cancelled, compensated, then
   * deleted: `202` with the task as it is now.
   */
  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a task and its files',
    description: 'A finished task goes at once (204); an unfinished one is cancelled, compensated, then deleted (202).',
  })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiAcceptedResponse({ type: TaskViewDto, description: 'Cancelling; deleted once compensated' })
  @ApiErrors(404, 503)
  async remove(
    @Param('id', TaskIdPipe) id: string,
    @RequestCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TaskView | undefined> {
    const scope = await this.authorized('delete', id, caller);
    const pending = await this.engine.remove(id, scope, caller.owner);
    res.status(pending ? 202 : 204);
    return pending ? toTaskView(pending, tasksPath(req)) : undefined;
  }

  /** The caller's scope once the task is found in it (404 otherwise) and `action` is allowed on it (403 otherwise). */
  private async authorized(action: TaskAction, id: string, caller: Caller): Promise<OwnerScope> {
    const scope = this.access.scope(caller);
    await this.access.assertCan(action, caller, await this.engine.get(id, scope));
    return scope;
  }
}

function parseFlag(name: string, value: unknown): boolean {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1' || value === '') return true;
  throw badRequest(`${name} must be true or false`, [{ field: name, message: 'must be true or false' }]);
}

/**
 * Appends to, never replaces, what a CORS middleware (Stepwise's `cors`, or
 * the host's `app.enableCors()`) exposes, on an answer it let through: no
 * CORS header at all for an origin that was not allowed.
 */
function exposeHeader(res: Response, name: string): void {
  if (res.getHeader('Access-Control-Allow-Origin') === undefined) return;
  const current = String(res.getHeader('Access-Control-Expose-Headers') ?? '');
  const names = current
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (!names.some((h) => h.toLowerCase() === name.toLowerCase())) names.push(name);
  res.setHeader('Access-Control-Expose-Headers', names.join(', '));
}
