import { ConfigError, taskModuleOptionsFromEnv } from './tasks-config-from-env';
import { resolveOptions } from './resolved-options';

describe('quotas from the environment', () => {
  it('reads TASKS_QUOTA_ACTIVE_TASKS', () => {
    expect(taskModuleOptionsFromEnv({ TASKS_QUOTA_ACTIVE_TASKS: '100' }).quotas).toEqual({ activeTasks: 100 });
    expect(taskModuleOptionsFromEnv({}).quotas).toBeUndefined();
  });

  it.each(['0', '-1', '1.5', 'many'])('refuses %p', (value) => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_QUOTA_ACTIVE_TASKS: value })).toThrow(ConfigError);
    expect(() => taskModuleOptionsFromEnv({ TASKS_QUOTA_OPEN_UPLOADS: value })).toThrow(ConfigError);
  });

  it('reads TASKS_QUOTA_STORED_BYTES (bytes, or with a unit) and TASKS_QUOTA_OPEN_UPLOADS', () => {
    const env = { TASKS_QUOTA_STORED_BYTES: '2GiB', TASKS_QUOTA_OPEN_UPLOADS: '5' };
    expect(taskModuleOptionsFromEnv(env).quotas).toEqual({ storedBytes: 2 * 1024 ** 3, openUploads: 5 });
    expect(resolveOptions(taskModuleOptionsFromEnv(env)).quotas).toEqual({
      storedBytes: 2 * 1024 ** 3,
      openUploads: 5,
    });
    expect(() => taskModuleOptionsFromEnv({ TASKS_QUOTA_STORED_BYTES: 'lots' })).toThrow(ConfigError);
    expect(() => resolveOptions({ quotas: { openUploads: 0 } })).toThrow(/quotas.openUploads/);
    expect(() => resolveOptions({ quotas: { storedBytes: 1.5 } })).toThrow(/quotas.storedBytes/);
  });

  it('resolves to no quota by default, and refuses a bad one given in code', () => {
    expect(resolveOptions({}).quotas).toEqual({});
    expect(resolveOptions({ quotas: { activeTasks: 3 } }).quotas).toEqual({ activeTasks: 3 });
    expect(() => resolveOptions({ quotas: { activeTasks: 0 } })).toThrow(/quotas.activeTasks/);
  });
});

describe('fairness from the environment', () => {
  it('reads TASKS_MAX_RUNNING_PER_OWNER into fairness.perOwner, which the engine settings carry', () => {
    const options = taskModuleOptionsFromEnv({ TASKS_MAX_RUNNING_PER_OWNER: '2' });
    expect(options.fairness).toEqual({ perOwner: 2 });
    expect(resolveOptions(options).engine.maxRunningPerOwner).toBe(2);
    expect(taskModuleOptionsFromEnv({}).fairness).toBeUndefined();
    expect(resolveOptions({}).engine.maxRunningPerOwner).toBeUndefined();
  });

  it.each(['0', '-1', '1.5', 'many'])('refuses %p', (value) => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_MAX_RUNNING_PER_OWNER: value })).toThrow(ConfigError);
    expect(() => resolveOptions({ fairness: { perOwner: Number(value) } })).toThrow(/fairness.perOwner/);
  });
});
