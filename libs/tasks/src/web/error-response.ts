import { HttpException } from '@nestjs/common';
import { TaskOperationError } from '../engine/operation-errors';
import { AUTH_REALM, AuthenticationError } from '../core/auth/auth-errors';
import { ApiError, errorBody } from './http-error';
import type { ErrorBody } from './task-view';
import { isUnavailableError } from './unavailable-error';

/** What the filter sends, and whether the error deserves a log line. */
export interface ErrorResponse {
  body: ErrorBody;
  headers: Record<string, string>;
  /** `error` for bugs (logged with the stack), `warn` for an unreachable backend. */
  log?: 'error' | 'warn';
}

const KIND_STATUS: Record<TaskOperationError['kind'], number> = {
  not_found: 404,
  invalid_input: 400,
  conflict: 409,
  // The IETF idempotency-key draft's answer to a key reused with another payload.
  idempotency_key_reused: 422,
  quota_exceeded: 403,
  unavailable: 503,
};

/** Clients are asked to retry after this many seconds when a backend is down. */
const RETRY_AFTER_SECONDS = '5';

/** Maps anything a handler may throw to the contract's `{ statusCode, error, message, details? }`. */
export function toErrorResponse(exception: unknown): ErrorResponse {
  if (isTaskOperationError(exception)) {
    const status = KIND_STATUS[exception.kind];
    return {
      body: errorBody(status, exception.message, exception.details),
      headers: status === 503 ? { 'Retry-After': RETRY_AFTER_SECONDS } : {},
    };
  }
  if (exception instanceof HttpException) {
    const headers: Record<string, string> = exception instanceof ApiError ? { ...exception.headers } : {};
    // RFC 9110: a 401 names the scheme that would be accepted.
    if (exception.getStatus() === 401) {
      headers['WWW-Authenticate'] ??=
        exception instanceof AuthenticationError ? exception.challenge : `Bearer realm="${AUTH_REALM}"`;
    }
    if (exception.getStatus() === 503) headers['Retry-After'] ??= RETRY_AFTER_SECONDS;
    return { body: fromHttpException(exception), headers };
  }
  const clientError = exposedClientError(exception);
  if (clientError) return { body: clientError, headers: {} };
  if (isUnavailableError(exception)) {
    return {
      body: errorBody(503, 'A backend service is unavailable; retry later'),
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      log: 'warn',
    };
  }
  return { body: errorBody(500, 'Internal server error'), headers: {}, log: 'error' };
}

/** By kind, not only by class: a second copy of the library must map the same. */
function isTaskOperationError(error: unknown): error is TaskOperationError {
  if (error instanceof TaskOperationError) return true;
  const e = error as { name?: unknown; kind?: unknown } | null;
  return e?.name === 'TaskOperationError' && typeof e.kind === 'string' && e.kind in KIND_STATUS;
}

function fromHttpException(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return errorBody(status, response);
  const r = response as { message?: unknown; error?: unknown; details?: unknown };
  // Nest's ValidationPipe puts a list of messages in `message`.
  const messages = Array.isArray(r.message) ? r.message.map(String) : undefined;
  const body = errorBody(
    status,
    messages ? messages.join('; ') : typeof r.message === 'string' ? r.message : exception.message,
    r.details ?? messages,
  );
  return typeof r.error === 'string' ? { ...body, error: r.error } : body;
}

/** `http-errors` style (body-parser, raw-body): a 4xx whose message is meant for the client. */
function exposedClientError(error: unknown): ErrorBody | null {
  const e = error as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown } | null;
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499 || e?.expose !== true) return null;
  return errorBody(status, typeof e.message === 'string' ? e.message : 'Bad request');
}
