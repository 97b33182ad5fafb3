import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import type { ErrorBody } from './task-view';

/** The contract's error body for a status. */
export function errorBody(statusCode: number, message: string, details?: unknown): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    ...(details === undefined ? {} : { details }),
  };
}

/**
 * An HttpException already in the contract's shape, which may carry headers
 * the answer needs (`Content-Range` on a 416, `Retry-After` on a 503).
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    message: string,
    details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(errorBody(status, message, details), status);
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, message, details);
export const notFound = (message: string, details?: unknown) => new ApiError(404, message, details);
export const conflictError = (message: string, details?: unknown) => new ApiError(409, message, details);
export const payloadTooLarge = (message: string, details?: unknown) => new ApiError(413, message, details);
export const unsupportedMediaType = (message: string) => new ApiError(415, message);

/** Shortens a client-supplied value before echoing it in a message. */
export function clip(value: string, max = 64): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
