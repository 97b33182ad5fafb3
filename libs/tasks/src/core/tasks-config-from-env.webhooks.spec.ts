import { ConfigError, taskModuleOptionsFromEnv } from './tasks-config-from-env';

describe('taskModuleOptionsFromEnv: webhooks', () => {
  const SECRET = 'a-webhook-secret-of-32-characters';

  it('reads WEBHOOK_SECRET and WEBHOOK_ALLOW_PRIVATE', () => {
    expect(taskModuleOptionsFromEnv({ WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: '1' })).toEqual({
      webhooks: { secret: SECRET, allowPrivate: true },
    });
  });

  it.each([
    ['1', true],
    ['true', true],
    ['YES', true],
    ['on', true],
    ['0', false],
    ['false', false],
    ['No', false],
    ['off', false],
  ])('reads WEBHOOK_ALLOW_PRIVATE=%s as %s', (value, expected) => {
    expect(taskModuleOptionsFromEnv({ WEBHOOK_ALLOW_PRIVATE: value }).webhooks).toEqual({ allowPrivate: expected });
  });

  it('leaves webhooks out when neither is set, and keeps webhook defaults given by the app', () => {
    expect(taskModuleOptionsFromEnv({ WEBHOOK_SECRET: ' ', WEBHOOK_ALLOW_PRIVATE: '' })).toEqual({});
    const defaults = { webhooks: { maxAttempts: 3 } };
    expect(taskModuleOptionsFromEnv({ WEBHOOK_SECRET: SECRET }, defaults).webhooks).toEqual({
      maxAttempts: 3,
      secret: SECRET,
    });
  });

  it('reads the delivery timings, and refuses ones that are not positive integers', () => {
    const env = {
      WEBHOOK_MAX_ATTEMPTS: '5',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_DELAY_MS: '100',
      WEBHOOK_MAX_RETRY_DELAY_MS: '1000',
    };
    expect(taskModuleOptionsFromEnv(env).webhooks).toEqual({
      maxAttempts: 5,
      timeoutMs: 2000,
      retryDelayMs: 100,
      maxRetryDelayMs: 1000,
    });
    expect(() => taskModuleOptionsFromEnv({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/WEBHOOK_MAX_ATTEMPTS/);
    expect(() => taskModuleOptionsFromEnv({ WEBHOOK_TIMEOUT_MS: 'soon' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
  });

  it('refuses a short secret without echoing it, and a bad flag', () => {
    const run = () => taskModuleOptionsFromEnv({ WEBHOOK_SECRET: 'hunter2', WEBHOOK_ALLOW_PRIVATE: 'maybe' });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/WEBHOOK_SECRET must be at least 16 characters/);
    expect(run).toThrow(/WEBHOOK_ALLOW_PRIVATE="maybe" must be 1\/true or 0\/false/);
    expect(run).not.toThrow(/hunter2/);
  });
});
