import { ConfigError, taskModuleOptionsFromEnv } from './tasks-config-from-env';

describe('taskModuleOptionsFromEnv: authentication', () => {
  it('leaves the API open by default and with TASKS_AUTH=none', () => {
    expect(taskModuleOptionsFromEnv({}).auth).toBeUndefined();
    expect(taskModuleOptionsFromEnv({ TASKS_AUTH: 'none' }).auth).toBeUndefined();
  });

  it('reads TASKS_AUTH=apikey, in any case', () => {
    expect(taskModuleOptionsFromEnv({ TASKS_AUTH: ' ApiKey ' }).auth).toEqual({ scheme: 'apikey' });
  });

  it('refuses an unknown scheme, naming the choices', () => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_AUTH: 'basic' })).toThrow(ConfigError);
    expect(() => taskModuleOptionsFromEnv({ TASKS_AUTH: 'basic' })).toThrow(/TASKS_AUTH="basic" must be "none" or/);
  });
});

describe('taskModuleOptionsFromEnv: JWT', () => {
  const secret = 's'.repeat(32);

  it('reads TASKS_AUTH=jwt with a secret, issuers, audiences and claims', () => {
    expect(
      taskModuleOptionsFromEnv({
        TASKS_AUTH: 'jwt',
        TASKS_JWT_SECRET: secret,
        TASKS_JWT_ISSUER: 'https://a.example, https://b.example',
        TASKS_JWT_AUDIENCE: 'stepwise',
        TASKS_JWT_OWNER_CLAIM: 'email',
        TASKS_JWT_ROLES_CLAIM: 'realm_access.roles',
      }).auth,
    ).toEqual({
      scheme: 'jwt',
      secret,
      issuer: ['https://a.example', 'https://b.example'],
      audience: ['stepwise'],
      ownerClaim: 'email',
      rolesClaim: 'realm_access.roles',
    });
    expect(
      taskModuleOptionsFromEnv({ TASKS_AUTH: 'jwt', TASKS_JWT_JWKS_URL: 'https://login.example/jwks.json' }).auth,
    ).toEqual({ scheme: 'jwt', jwksUrl: 'https://login.example/jwks.json' });
  });

  it.each([
    ['neither a secret nor a JWKS', {}, /exactly one of TASKS_JWT_SECRET/],
    ['both', { TASKS_JWT_SECRET: secret, TASKS_JWT_JWKS_URL: 'https://x.example/jwks' }, /exactly one/],
    ['a short secret', { TASKS_JWT_SECRET: 'short' }, /TASKS_JWT_SECRET must be at least 32 characters/],
    ['a JWKS URL that is no URL', { TASKS_JWT_JWKS_URL: 'ftp://x' }, /TASKS_JWT_JWKS_URL must be a http:\/\//],
  ])('refuses %s', (_label, env, message) => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_AUTH: 'jwt', ...env })).toThrow(message);
  });

  it('never echoes the secret', () => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_AUTH: 'jwt', TASKS_JWT_SECRET: 'hunter2-secret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('refuses JWT settings while the API stays open or uses API keys', () => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_JWT_SECRET: secret })).toThrow(
      /TASKS_JWT_SECRET is set but TASKS_AUTH is not jwt/,
    );
    expect(() => taskModuleOptionsFromEnv({ TASKS_AUTH: 'apikey', TASKS_JWT_ISSUER: 'x' })).toThrow(
      /TASKS_AUTH is not jwt/,
    );
  });
});
