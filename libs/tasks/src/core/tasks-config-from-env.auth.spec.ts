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
