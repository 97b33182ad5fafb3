import { isTaskStatus } from '@stepwise/contract';
import type { ErrorBody, TaskErrorView, TaskStatus } from './types';

/** Where an error answer came from. */
export interface StepwiseErrorContext {
  method?: string;
  url?: string;
  /** The answer's headers (`Retry-After` on a 503, for example). */
  headers?: Headers;
  cause?: unknown;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * A Stepwise server's error answer (every non-2xx), or the end of a task
 * that did not complete ({@link TaskHandle.done}). Carries the contract's
 * error body: `statusCode`, `error`, `message` and `details`.
 *
 * Network failures are not wrapped: they reject with what `fetch` threw.
 */
export class StepwiseError extends Error {
  override name = 'StepwiseError';
  /** HTTP status of the answer (409 for a task that failed or was cancelled). */
  readonly statusCode: number;
  /** HTTP reason phrase, e.g. `Not Found`. */
  readonly error: string;
  /** Invalid fields on a 400; the task's status (and error) on a 409. */
  readonly details?: unknown;
  /** On a 409 about a task: its status then. */
  readonly taskStatus?: TaskStatus;
  /** On a 409 about a task that failed or was cancelled: why. */
  readonly taskError?: TaskErrorView | null;
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Headers;

  constructor(body: ErrorBody, context: StepwiseErrorContext = {}) {
    super(body.message, context.cause === undefined ? undefined : { cause: context.cause });
    this.statusCode = body.statusCode;
    this.error = body.error;
    if (body.details !== undefined) this.details = body.details;
    const details = body.details as { status?: unknown; error?: unknown } | undefined;
    if (isTaskStatus(details?.status)) {
      this.taskStatus = details.status;
      if ('error' in details) this.taskError = (details.error ?? null) as TaskErrorView | null;
    }
    this.method = context.method;
    this.url = context.url;
    this.headers = context.headers;
  }

  /** The error of an answer that is not 2xx; reads (and so consumes) its body. */
  static async fromResponse(response: Response, context: StepwiseErrorContext = {}): Promise<StepwiseError> {
    let text = '';
    try {
      text = await response.text();
    } catch {
      // The body broke off: the status alone has to do.
    }
    return new StepwiseError(errorBodyOf(response.status, response.statusText, text), {
      headers: response.headers,
      ...context,
    });
  }

  /** `true` for a StepwiseError, also one from another copy of this library. */
  static is(error: unknown): error is StepwiseError {
    if (error instanceof StepwiseError) return true;
    const e = error as { name?: unknown; statusCode?: unknown } | null;
    return typeof e === 'object' && e?.name === 'StepwiseError' && typeof e.statusCode === 'number';
  }
}

/** The contract's `{ statusCode, error, message, details? }`, or the best that an other answer allows. */
export function errorBodyOf(statusCode: number, statusText: string, text: string): ErrorBody {
  const error = statusText || STATUS_TEXT[statusCode] || 'Error';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const body = parsed as Partial<Record<keyof ErrorBody, unknown>>;
    if (typeof body.message === 'string' || Array.isArray(body.message)) {
      return {
        statusCode,
        error: typeof body.error === 'string' ? body.error : error,
        message: Array.isArray(body.message) ? body.message.map(String).join('; ') : (body.message as string),
        ...(body.details === undefined ? {} : { details: body.details }),
      };
    }
  }
  const snippet = text.trim().slice(0, 200);
  return { statusCode, error, message: snippet ? `${statusCode} ${error}: ${snippet}` : `${statusCode} ${error}` };
}

/** Worth trying again: the server was busy or down, not the request wrong. */
export function isTransientStatus(statusCode: number): boolean {
  return statusCode >= 500 || statusCode === 408 || statusCode === 429;
}
