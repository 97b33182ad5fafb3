import type { IncomingMessage } from 'node:http';
import { Inject, Logger, UnauthorizedException, type OnModuleDestroy } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import { GATEWAY_OPTIONS } from '@nestjs/websockets/constants';
import { ExternalContextCreator } from '@nestjs/core';
import type { Namespace, Socket } from 'socket.io';
import { TaskEngine } from '../engine/task-engine';
import type { EventBus } from '../ports';
import { TASKS_NAMESPACE } from '../web/task-namespace';
import { toErrorResponse } from '../web/error-response';
import { badRequest, errorBody } from '../web/http-error';
import type { ErrorBody, TaskView } from '../web/task-view';
import { toTaskView } from '../web/task-view.mapper';
import { TaskAuthorizer } from '../core/auth/task-authorizer';
import { resolveCaller, type Caller, type OwnerResolver } from '../core/owner-resolver';
import type { ResolvedOptions } from '../core/resolved-options';
import type { CorsPolicy } from '../core/cors-policy';
import { EVENT_BUS, OWNER_RESOLVER, RESOLVED_OPTIONS } from '../core/tokens';
import { ProgressThrottle } from './progress-throttle';
import { isPublicEvent, isTerminalEvent, toTaskEventView, type PublicTaskEvent } from './task-event-view';

/** Socket.IO namespace of the task events. */
/** Room of one task's events: `task:<id>`. */
export const taskRoom = (taskId: string): string => `task:${taskId}`;
/** Room of an owner's sockets (every socket joins its owner's room): `owner:<owner>`. */
export const ownerRoom = (owner: string): string => `owner:${owner}`;
/** Room of the admins' sockets, which see every owner's `task.created`. Not an `owner:` room: no owner name reaches it. */
export const ANY_OWNER_ROOM = 'any-owner';

/** Answer of `subscribe` and `unsubscribe`, through the Socket.IO acknowledgement. */
export type SubscriptionAck = { ok: true; task?: TaskView } | { ok: false; error: ErrorBody };

/** A socket may follow this many tasks at once (each room costs server memory). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GATEWAY_DEFAULTS = { namespace: TASKS_NAMESPACE };

/**
 * Live task events over Socket.IO (DESIGN.md, "Socket.IO"), namespace `/tasks`.
 *
 * - On connection the module's {@link OwnerResolver} sees the handshake
 *   (`{ headers, auth }`, `auth` being the client's `io(url, { auth })`
 *   payload, and `user` when a middleware set one on the request); a
 *   resolver that throws gets the socket an `error` event `{ statusCode, message }`
 *   and a disconnect. Each socket joins its owner's room, `owner:<owner>`,
 *   which receives `task.created` of every new task of that owner; an admin's
 *   socket also joins {@link ANY_OWNER_ROOM}, which receives every owner's,
 *   and may subscribe to any task.
 * - `subscribe` `{ taskId }` joins `task:<id>` and acknowledges with
 *   `{ ok: true, task }`, a snapshot (the REST view) read after joining, so
 *   that nothing between the snapshot and the first event is missed;
 *   `{ ok: false, error: { statusCode, error, message } }` otherwise (`400`
 *   not a UUID, `404` unknown or another owner's task: the two look the same).
 *   `unsubscribe` `{ taskId }` leaves the room: `{ ok: true }`.
 * - Events to `task:<id>`: `task.created`, `task.progress`, `task.step`,
 *   `task.completed`, `task.failed`, `task.cancelled`, and also `task.paused`,
 *   `task.resumed` and `task.waiting`; the payload is a {@link TaskEventView}
 *   (`{ taskId, type, event, status, progress, step?, stepStatus?, message?, at, seq? }`,
 *   `at` in ISO 8601). `task.progress` is throttled per task
 *   (`realtime.progressThrottleMs`, see {@link ProgressThrottle}): the latest
 *   value wins, progress never goes back, step and terminal events are never
 *   dropped and keep their order.
 *
 * Several API instances: every process subscribes to the module's
 * {@link EventBus}, which already delivers every event to every process (the
 * Redis event bus in distributed mode: a worker's progress reaches each API
 * instance), and each instance's gateway emits to its own sockets only. So a
 * client connected to any instance gets the events of a task running on any
 * worker, with no `@socket.io/redis-adapter`: that adapter re-broadcasts each
 * emit to every instance through Redis, which here would deliver every event
 * once per instance (each instance already emits it) and add a Redis round
 * trip per emit, for nothing. (Load balancers still need sticky sessions for
 * the HTTP long-polling transport, or clients that use `transports: ['websocket']`;
 * that is a Socket.IO rule, adapter or not.)
 *
 * The bus subscription lasts while at least one socket is connected: an
 * instance nobody watches (and a worker, which has no server) is not sent,
 * nor parses, the cluster's events. A subscribe waits for the subscription
 * to be active before it reads the snapshot.
 */
@WebSocketGateway(GATEWAY_DEFAULTS)
export class TaskEventsGateway implements OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  @WebSocketServer() server?: Namespace;

  private readonly logger = new Logger('Stepwise realtime');
  private readonly callers = new WeakMap<Socket, Promise<Caller | null>>();
  /** Sockets connected now: the bus subscription lasts while there is one. */
  private connected = 0;
  private readonly throttle: ProgressThrottle<PublicTaskEvent>;
  private unsubscribeBus: (() => void) | undefined;

  /** The app's global guards around the handshake, built on the first connection (they are registered after the providers). */
  private handshakeGuards: ((request: object, response: object, next: () => void) => Promise<unknown>) | undefined;

  constructor(
    private readonly contexts: ExternalContextCreator,
    private readonly engine: TaskEngine,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(OWNER_RESOLVER) private readonly resolver: OwnerResolver,
    @Inject(RESOLVED_OPTIONS) options: ResolvedOptions,
    private readonly access: TaskAuthorizer,
  ) {
    this.throttle = new ProgressThrottle<PublicTaskEvent>((event) => this.emit(event), {
      intervalMs: options.realtime.progressThrottleMs,
      isTerminal: isTerminalEvent,
    });
    // Gateway options are static decorator metadata, read by Nest when the app
    // initialises, after the providers are built: this is the one moment the
    // configured path can still be applied. One path per process: the last
    // TaskModule built before `init()` wins.
    Reflect.defineMetadata(
      GATEWAY_OPTIONS,
      { ...GATEWAY_DEFAULTS, path: options.realtime.path, ...socketCorsOptions(options.cors) },
      TaskEventsGateway,
    );
  }

  onModuleDestroy(): void {
    this.unsubscribeBus?.();
    this.unsubscribeBus = undefined;
    this.throttle.dispose();
  }

  handleConnection(socket: Socket): void {
    // Events are taken from the bus while a socket is connected: an instance nobody watches
    // is not sent (nor parses) every event of the cluster.
    this.connected++;
    this.unsubscribeBus ??= this.bus.subscribe((event) => {
      if (isPublicEvent(event)) this.throttle.push(event);
    });
    this.callers.set(socket, this.identify(socket));
  }

  handleDisconnect(socket: Socket): void {
    this.callers.delete(socket);
    if (--this.connected === 0) {
      this.unsubscribeBus?.();
      this.unsubscribeBus = undefined;
    }
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscriptionAck> {
    try {
      const owner = this.access.scope(await this.callerOf(socket));
      const taskId = parseTaskId(body);
      // Ownership first: a socket must never sit, even briefly, in another owner's room.
      await this.engine.get(taskId, owner);
      const room = taskRoom(taskId);
      if (!socket.rooms.has(room) && socket.rooms.size > MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return failure(errorBody(429, `At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection`));
      }
      // Join (with the bus's subscription active), then read the snapshot: an
      // event recorded in between is both in the snapshot and sent, never in neither.
      await socket.join(room);
      await this.bus.whenReady?.();
      try {
        const task = await this.engine.get(taskId, owner);
        return { ok: true, task: toTaskView(task, '/tasks') };
      } catch (error) {
        await socket.leave(room); // deleted meanwhile
        throw error;
      }
    } catch (error) {
      return failure(this.errorOf(error));
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscriptionAck> {
    try {
      await this.callerOf(socket);
      await socket.leave(taskRoom(parseTaskId(body)));
      return { ok: true };
    } catch (error) {
      return failure(this.errorOf(error));
    }
  }

  private emit(event: PublicTaskEvent): void {
    const server = this.server;
    if (!server) return;
    const view = toTaskEventView(event);
    // One emit to the union of the rooms: a socket in both gets it once.
    const target =
      event.type === 'task.created'
        ? server.to(taskRoom(event.taskId)).to(ownerRoom(event.owner)).to(ANY_OWNER_ROOM)
        : server.to(taskRoom(event.taskId));
    target.emit(event.type, view);
  }

  private async identify(socket: Socket): Promise<Caller | null> {
    try {
      const { headers, auth } = socket.handshake;
      await this.runHostGuards(socket);
      const user = (socket.request as { user?: unknown } | undefined)?.user;
      const caller = await resolveCaller(this.resolver, { headers, user, auth });
      if (socket.connected) {
        await socket.join(
          this.access.isAdmin(caller) ? [ownerRoom(caller.owner), ANY_OWNER_ROOM] : ownerRoom(caller.owner),
        );
      }
      return caller;
    } catch (error) {
      const { statusCode, message } = this.errorOf(error);
      socket.emit('error', { statusCode, message });
      socket.disconnect();
      return null;
    }
  }

  /**
   * Runs the app's global guards (`APP_GUARD`, `useGlobalGuards`) on the
   * handshake, as on an HTTP request (context type `http`, the handshake's
   * `IncomingMessage` as the request): a guard that refuses or throws
   * refuses the socket, and the `request.user` a guard sets (Passport) is
   * what the owner resolver sees. A browser's `auth.token` is shown to
   * them as `Authorization: Bearer <token>` when the handshake has no
   * `Authorization` header of its own.
   */
  private async runHostGuards(socket: Socket): Promise<void> {
    const request = socket.request as IncomingMessage & { user?: unknown };
    if (!request) return;
    this.handshakeGuards ??= this.contexts.create(
      this,
      this.handshakeAccepted,
      'handshakeAccepted',
      undefined,
      undefined,
      undefined,
      undefined,
      { guards: true, interceptors: false, filters: false },
      'http',
    ) as (request: object, response: object, next: () => void) => Promise<unknown>;
    const token = socket.handshake.auth?.token;
    const headers =
      request.headers.authorization === undefined && typeof token === 'string' && token !== ''
        ? { ...request.headers, authorization: `Bearer ${token}` }
        : request.headers;
    // The guards' view of the request: its own headers, everything else the handshake's.
    const view = Object.create(request, {
      headers: { value: headers, writable: true, enumerable: true },
    }) as IncomingMessage & {
      user?: unknown;
    };
    await this.handshakeGuards(view, handshakeResponse(), () => undefined);
    if (view.user !== undefined) request.user = view.user;
  }

  /** What the guards wrap: reached when they all let the handshake through. */
  handshakeAccepted(): boolean {
    return true;
  }

  private async callerOf(socket: Socket): Promise<Caller> {
    const caller = await this.callers.get(socket);
    if (!caller) throw new UnauthorizedException('No owner for this connection');
    return caller;
  }

  private errorOf(error: unknown): ErrorBody {
    const { body, log } = toErrorResponse(error);
    if (log === 'error') this.logger.error(String(error), error instanceof Error ? error.stack : undefined);
    if (log === 'warn') this.logger.warn(`backend unavailable: ${String(error)}`);
    return body;
  }
}

/**
 * The Socket.IO server's share of the CORS policy: CORS headers on the
 * long-polling transport for allowed origins only (none configured: none at
 * all), and a handshake from another origin's page refused (`403`) whatever
 * the transport: browsers apply no CORS to a WebSocket.
 */
export function socketCorsOptions(policy: CorsPolicy) {
  return {
    ...(policy.enabled
      ? {
          cors: {
            origin: (origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void) =>
              callback(null, policy.allows(origin)),
            credentials: policy.credentials,
          },
        }
      : {}),
    allowRequest: (req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void) =>
      callback(null, policy.admitsHandshake(req.headers)),
  };
}

/** A response object for guards that write headers (Passport on failure may): the handshake has none to send. */
function handshakeResponse(): object {
  const noop = function (this: object) {
    return this;
  };
  return {
    setHeader: noop,
    getHeader: () => undefined,
    status: noop,
    header: noop,
    set: noop,
    end: noop,
    json: noop,
    send: noop,
  };
}

function parseTaskId(body: unknown): string {
  const taskId = (body as { taskId?: unknown } | null | undefined)?.taskId;
  if (typeof taskId !== 'string' || !UUID.test(taskId)) {
    throw badRequest('taskId must be a UUID', [{ field: 'taskId', message: 'must be a UUID' }]);
  }
  return taskId.toLowerCase();
}

function failure(error: ErrorBody): SubscriptionAck {
  return { ok: false, error };
}
