import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS } from '../core/tokens';
import { guardedListeners } from '../web/guarded-listeners';

/**
 * Closes connections that go silent (`http.idleTimeoutMs`, default 60 s).
 *
 * The apps turn Node's `requestTimeout` off so that a long upload is never
 * cut while it progresses; without this, a client that stops mid-body would
 * hold its connection (and whatever reads its body) forever. Node's socket
 * timeout counts inactivity, not age: every byte received or sent restarts
 * it, so only a connection that moves nothing for the whole period is
 * closed. A kept-alive connection waiting for its next request is closed
 * after `keepAliveTimeout`, lowered to the idle time when that is shorter. The socket is destroyed here, not left to Node's default, which
 * keeps it open as soon as anything listens for the request's or the
 * response's `timeout` event. WebSockets turn their socket's timeout off
 * once upgraded (`ws`), SSE streams send keep-alives more often than this.
 *
 * Applied at bootstrap, when the app's HTTP server exists (not yet
 * listening); a process without one (a worker) has nothing to do.
 */
@Injectable()
export class HttpIdleTimeout implements OnApplicationBootstrap {
  private readonly logger = new Logger('Stepwise HTTP');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  onApplicationBootstrap(): void {
    const idleMs = this.options.http.idleTimeoutMs;
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as Server | undefined;
    if (idleMs === 0 || typeof server?.setTimeout !== 'function') return;
    server.setTimeout(idleMs);
    // Between two requests of a kept-alive connection Node counts keepAliveTimeout (5 s) instead:
    // a shorter idle time must bound that wait too.
    if (server.keepAliveTimeout > idleMs) server.keepAliveTimeout = idleMs;
    const { on } = guardedListeners((error) => this.logger.warn(`closing an idle connection failed: ${String(error)}`));
    on(server, 'timeout', (socket: Socket) => socket.destroy());
  }
}
