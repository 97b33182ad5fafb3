import { ConfigError, taskModuleOptionsFromEnv } from './tasks-config-from-env';
import { resolveOptions } from './resolved-options';

describe('rate limits from the environment', () => {
  it('reads <limit>/<ttlMs> per class', () => {
    const options = taskModuleOptionsFromEnv({
      TASKS_RATE_LIMIT_SUBMIT: '30/60000',
      TASKS_RATE_LIMIT_READ: '600/60000',
      TASKS_RATE_LIMIT_UPLOAD: 'off',
    });
    expect(options.rateLimit).toEqual({ submit: { limit: 30, ttlMs: 60_000 }, read: { limit: 600, ttlMs: 60_000 } });
  });

  it('leaves rate limits off when no variable is set, and lets a variable turn a default class off', () => {
    expect(taskModuleOptionsFromEnv({}).rateLimit).toBeUndefined();
    const defaults = { rateLimit: { submit: { limit: 1, ttlMs: 1 }, read: { limit: 2, ttlMs: 2 } } };
    expect(taskModuleOptionsFromEnv({ TASKS_RATE_LIMIT_SUBMIT: 'off' }, defaults).rateLimit).toEqual({
      read: { limit: 2, ttlMs: 2 },
    });
  });

  it.each(['30', '30/', '0/1000', '30/0', 'a/b', '30/60s'])('refuses %p', (value) => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_RATE_LIMIT_READ: value })).toThrow(ConfigError);
    expect(() => taskModuleOptionsFromEnv({ TASKS_RATE_LIMIT_READ: value })).toThrow(/TASKS_RATE_LIMIT_READ=/);
  });

  it('resolves to null when off, and refuses a bad limit given in code', () => {
    expect(resolveOptions({}).rateLimit).toBeNull();
    expect(resolveOptions({ rateLimit: false }).rateLimit).toBeNull();
    expect(resolveOptions({ rateLimit: {} }).rateLimit).toBeNull();
    expect(() => resolveOptions({ rateLimit: { submit: { limit: 0, ttlMs: 1000 } } })).toThrow(/rateLimit.submit/);
  });
});
