import { literalTargetProblem } from '../core/target-guard';
import { MAX_SINGLETON_KEY_LENGTH, type SingletonPolicy } from '../engine/task-engine';
import { badRequest } from '../web/http-error';

/** What a submit carries besides its input. */
export interface SubmitOptions {
  idempotencyKey?: string;
  callbackUrl?: string;
  /** Due time, epoch ms (`?runAt=` ISO 8601). */
  runAt?: number;
  /** Due this long after the submit (`?delayMs=`). */
  delayMs?: number;
  /** `?singletonKey=`: at most one unfinished task of the type with it. */
  singletonKey?: string;
  /** `?singleton=existing|conflict`: what a held key answers. */
  singleton?: SingletonPolicy;
}

/** What the module allows of a `callbackUrl`. */
export interface CallbackPolicy {
  /** `WEBHOOK_ALLOW_PRIVATE=1`: `localhost` and private/loopback/link-local literal addresses are accepted. */
  allowPrivate: boolean;
}

/** Visible ASCII, as header values allow; long enough for a UUID or a hash with a prefix. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;
const MAX_URL_LENGTH = 2048;

/**
 * Validates the `Idempotency-Key` header (its lines, as
 * `req.headersDistinct` has them: a key sent twice is a 400) and the `callbackUrl` query
 * parameter. The callback must be an absolute http(s) URL. With a `policy`
 * that does not allow private targets, what the URL alone shows to be one
 * (`localhost`, a literal private, loopback or link-local address) is a 400;
 * names that resolve to such addresses are refused by the webhook
 * dispatcher, which checks the resolved address of every attempt.
 */
export function parseSubmitOptions(
  idempotencyKey: unknown,
  callbackUrl: unknown,
  policy?: CallbackPolicy,
): SubmitOptions {
  const options: SubmitOptions = {};
  if (Array.isArray(idempotencyKey)) {
    // Node joins repeated header lines with ", ", which would make a key neither line names.
    if (idempotencyKey.length > 1) {
      throw badRequest('Idempotency-Key must be given once', [
        { field: 'Idempotency-Key', message: 'must be given once' },
      ]);
    }
    idempotencyKey = idempotencyKey[0];
  }
  if (idempotencyKey !== undefined) {
    const key = typeof idempotencyKey === 'string' ? idempotencyKey.trim() : '';
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters', [
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    options.idempotencyKey = key;
  }
  if (callbackUrl !== undefined) options.callbackUrl = parseCallbackUrl(callbackUrl, policy);
  return options;
}

/** `?runAt=<ISO 8601>` or `?delayMs=<ms>`: when a submitted task becomes due. 400 when malformed or both. */
export function parseSchedule(runAt: unknown, delayMs: unknown): Pick<SubmitOptions, 'runAt' | 'delayMs'> {
  const invalid = (field: string, message: string) => badRequest(`${field} ${message}`, [{ field, message }]);
  if (runAt !== undefined && delayMs !== undefined) throw invalid('runAt', 'and delayMs cannot both be given');
  if (runAt !== undefined) {
    const time = typeof runAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(runAt) ? Date.parse(runAt) : NaN;
    if (!Number.isFinite(time)) throw invalid('runAt', 'must be an ISO 8601 time, e.g. 2026-12-24T18:00:00Z');
    return { runAt: time };
  }
  if (delayMs !== undefined) {
    if (typeof delayMs !== 'string' || !/^\d{1,11}$/.test(delayMs)) {
      throw invalid('delayMs', 'must be an integer number of milliseconds >= 0');
    }
    return { delayMs: Number(delayMs) };
  }
  return {};
}

function parseCallbackUrl(value: unknown, policy?: CallbackPolicy): string {
  const invalid = (message: string) => badRequest(`callbackUrl ${message}`, [{ field: 'callbackUrl', message }]);
  if (typeof value !== 'string' || value === '') throw invalid('must be one absolute http(s) URL');
  if (value.length > MAX_URL_LENGTH) throw invalid(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw invalid('must be an absolute http(s) URL');
  }
  const problem = policy && !policy.allowPrivate ? literalTargetProblem(url) : null;
  if (problem) throw invalid(problem);
  return url.toString();
}

/** Printable: no control, format, private-use or unassigned characters. */
const SINGLETON_KEY = /^\P{C}+$/u;

/**
 * `?singletonKey=` (1 to 200 printable characters, given once) and
 * `?singleton=existing|conflict`: 400 naming the parameter otherwise.
 */
export function parseSingleton(
  singletonKey: unknown,
  singleton: unknown,
): Pick<SubmitOptions, 'singletonKey' | 'singleton'> {
  const invalid = (field: string, message: string) => badRequest(`${field} ${message}`, [{ field, message }]);
  const options: Pick<SubmitOptions, 'singletonKey' | 'singleton'> = {};
  if (singletonKey !== undefined) {
    if (typeof singletonKey !== 'string') throw invalid('singletonKey', 'must be given once');
    if (
      singletonKey.length === 0 ||
      singletonKey.length > MAX_SINGLETON_KEY_LENGTH ||
      !SINGLETON_KEY.test(singletonKey)
    ) {
      throw invalid('singletonKey', `must be 1 to ${MAX_SINGLETON_KEY_LENGTH} printable characters`);
    }
    options.singletonKey = singletonKey;
  }
  if (singleton !== undefined) {
    if (singleton !== 'existing' && singleton !== 'conflict')
      throw invalid('singleton', "must be 'existing' or 'conflict'");
    if (options.singletonKey === undefined) throw invalid('singleton', 'needs a singletonKey');
    options.singleton = singleton;
  }
  return options;
}
