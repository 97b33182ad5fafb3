import { CorsPolicy } from './cors-policy';
import { taskModuleOptionsFromEnv } from './tasks-config-from-env';

describe('CorsPolicy', () => {
  it('allows nobody by default, and says so with no header', () => {
    expect(CorsPolicy.NONE.enabled).toBe(false);
    expect(CorsPolicy.NONE.allows('https://app.example.com')).toBe(false);
    expect(CorsPolicy.NONE.headersFor('https://app.example.com', { preflight: true })).toEqual({});
  });

  it('normalizes the listed origins as browsers send them', () => {
    const policy = new CorsPolicy({
      origins: ['https://App.Example.com/', 'http://localhost:5173', 'https://b.example:443'],
    });
    expect(policy.allows('https://app.example.com')).toBe(true);
    expect(policy.allows('http://localhost:5173')).toBe(true);
    expect(policy.allows('https://b.example')).toBe(true);
    expect(policy.allows('http://app.example.com')).toBe(false);
    expect(policy.allows('https://app.example.com.evil.example')).toBe(false);
    expect(policy.allows('null')).toBe(false);
    expect(policy.allows(undefined)).toBe(false);
  });

  it('answers the allowed origin, never *, with credentials; * without', () => {
    const listed = new CorsPolicy({ origins: ['https://app.example.com'], credentials: true });
    expect(listed.headersFor('https://app.example.com')).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': expect.stringContaining('Location'),
    });
    const any = new CorsPolicy({ origins: '*' });
    expect(any.headersFor('https://x.example', { preflight: true })).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': expect.stringContaining('Authorization, Content-Type, Idempotency-Key'),
      'Access-Control-Max-Age': '600',
    });
  });

  it.each([
    [{ origins: '*', credentials: true }, /credentials cannot be used with origins '\*'/],
    [{ origins: ['https://a.example/path'] }, /is no origin/],
    [{ origins: ['a.example'] }, /is no origin/],
    [{ origins: ['ftp://a.example'] }, /is no origin/],
    [{ origins: 'https://a.example' }, /must be a list of origins or '\*'/],
    [{ origins: [], allowedHeaders: ['Bad Header'] }, /no header name/],
  ])('refuses %j', (options, message) => {
    expect(() => new CorsPolicy(options as never)).toThrow(message);
  });

  it('admits a Socket.IO handshake without Origin, from its own host (or the proxy-forwarded one), or allowed', () => {
    const policy = new CorsPolicy({ origins: ['https://app.example.com'] });
    expect(policy.admitsHandshake({ host: 'api.example.com' })).toBe(true);
    expect(policy.admitsHandshake({ host: 'api.example.com', origin: 'https://api.example.com' })).toBe(true);
    expect(
      policy.admitsHandshake({
        host: 'api:3000',
        origin: 'https://tasks.example.com',
        'x-forwarded-host': 'tasks.example.com',
      }),
    ).toBe(true);
    expect(policy.admitsHandshake({ host: 'api.example.com', origin: 'https://app.example.com' })).toBe(true);
    expect(policy.admitsHandshake({ host: 'api.example.com', origin: 'https://evil.example' })).toBe(false);
    expect(CorsPolicy.NONE.admitsHandshake({ host: 'api.example.com', origin: 'https://app.example.com' })).toBe(false);
    expect(CorsPolicy.NONE.admitsHandshake({ host: 'localhost:3000', origin: 'null' })).toBe(false);
  });

  it('reads TASKS_CORS_ORIGINS and TASKS_CORS_CREDENTIALS', () => {
    expect(taskModuleOptionsFromEnv({}).cors).toBeUndefined();
    expect(taskModuleOptionsFromEnv({ TASKS_CORS_ORIGINS: '*' }).cors).toEqual({ origins: '*' });
    expect(
      taskModuleOptionsFromEnv({
        TASKS_CORS_ORIGINS: 'https://a.example, http://localhost:5173',
        TASKS_CORS_CREDENTIALS: 'true',
      }).cors,
    ).toEqual({ origins: ['https://a.example', 'http://localhost:5173'], credentials: true });
    expect(() => taskModuleOptionsFromEnv({ TASKS_CORS_ORIGINS: 'https://a.example/app' })).toThrow(
      /TASKS_CORS_ORIGINS: "https:\/\/a.example\/app" is no origin/,
    );
    expect(() => taskModuleOptionsFromEnv({ TASKS_CORS_ORIGINS: '*', TASKS_CORS_CREDENTIALS: '1' })).toThrow(
      /cannot be used with TASKS_CORS_ORIGINS=\*/,
    );
    expect(() => taskModuleOptionsFromEnv({ TASKS_CORS_CREDENTIALS: '1' })).toThrow(/needs TASKS_CORS_ORIGINS/);
  });
});
