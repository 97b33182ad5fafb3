import { Compensate, Step, Task } from './decorators';
import type { StepContext } from './step-context';
import { TaskDefinitionError } from './task-definition-error';
import { compileTask, TaskRegistry } from './task-registry';

const ctx = {} as StepContext;

@Task({ name: 'valid' })
class ValidTask {
  calls: string[] = [];

  @Step({ order: 30 })
  async third() {
    this.calls.push('third');
    return 3;
  }

  @Step({ order: 10, on: 'api' })
  async first() {
    this.calls.push('first');
    return 1;
  }

  @Step({ order: 20, name: 'second-step', retry: { attempts: 3, backoff: 'fixed', delayMs: 5 }, timeoutMs: 1000 })
  async second() {
    this.calls.push('second');
    return 2;
  }

  // Names the step by its method, not its declared name.
  @Compensate('second')
  async undoSecond() {
    this.calls.push('undoSecond');
  }

  @Compensate('first')
  async undoFirst() {
    this.calls.push('undoFirst');
  }
}

function registerError(instance: object, registry = new TaskRegistry()): Error {
  try {
    registry.register(instance);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected register() to throw');
}

describe('TaskRegistry', () => {
  it('compiles a valid class with steps sorted by order and the documented defaults', async () => {
    const registry = new TaskRegistry();
    const instance = new ValidTask();
    const definition = registry.register(instance);

    expect(definition).toMatchObject({
      name: 'valid',
      className: 'ValidTask',
      queue: 'default',
      cancellable: true,
      priority: 0,
      acceptsFiles: false,
      http: true,
      timeoutMs: undefined,
    });
    expect(definition.steps.map((s) => [s.name, s.order, s.on])).toEqual([
      ['first', 10, 'api'],
      ['second-step', 20, 'worker'],
      ['third', 30, 'worker'],
    ]);
    const [first, second, third] = definition.steps;
    expect(first.retry.attempts).toBe(1);
    expect(third.retry.attempts).toBe(1);
    expect(second.retry).toEqual({ attempts: 3, backoff: 'fixed', delayMs: 5 });
    expect(second.timeoutMs).toBe(1000);
    expect(first.compensate).toBeDefined();
    expect(second.compensate).toBeDefined();
    expect(third.compensate).toBeUndefined();

    // Handlers are bound to the registered instance.
    await second.run(ctx);
    await second.compensate!(ctx);
    await first.compensate!(ctx);
    expect(instance.calls).toEqual(['second', 'undoSecond', 'undoFirst']);

    expect(registry.get('valid')).toBe(definition);
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.all()).toEqual([definition]);
    expect(registry.queues()).toEqual(['default']);
  });

  it('keeps declared queue, cancellable, priority and timeout', () => {
    @Task({ name: 'custom', queue: 'files', cancellable: false, priority: 7, timeoutMs: 5000 })
    class CustomTask {
      @Step({ order: 1 })
      only() {
        return null;
      }
    }
    @Task({ name: 'other', queue: 'files' })
    class OtherTask {
      @Step({ order: 1 })
      only() {
        return null;
      }
    }
    const registry = new TaskRegistry();
    expect(registry.register(new CustomTask())).toMatchObject({
      queue: 'files',
      cancellable: false,
      priority: 7,
      timeoutMs: 5000,
    });
    registry.register(new OtherTask());
    expect(registry.queues()).toEqual(['files']);
  });

  it('a compensation may name the step by its declared name', () => {
    @Task({ name: 'by-name' })
    class ByName {
      @Step({ order: 1, name: 'upload' })
      uploadFile() {
        return null;
      }
      @Compensate('upload')
      removeFile() {
        return null;
      }
    }
    expect(compileTask(new ByName()).steps[0].compensate).toBeDefined();
  });

  describe('rejects bad definitions with an error naming the class and the problem', () => {
    it('no steps', () => {
      @Task({ name: 'empty' })
      class EmptyTask {}
      const error = registerError(new EmptyTask());
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('EmptyTask');
      expect(error.message).toMatch(/no @Step/);
    });

    it('duplicate order', () => {
      @Task({ name: 'dup-order' })
      class DupOrderTask {
        @Step({ order: 1 })
        a() {
          return null;
        }
        @Step({ order: 1 })
        b() {
          return null;
        }
      }
      const error = registerError(new DupOrderTask());
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('DupOrderTask');
      expect(error.message).toMatch(/duplicate step order 1/);
    });

    it('duplicate step name', () => {
      @Task({ name: 'dup-name' })
      class DupNameTask {
        @Step({ order: 1, name: 'same' })
        a() {
          return null;
        }
        @Step({ order: 2, name: 'same' })
        b() {
          return null;
        }
      }
      const error = registerError(new DupNameTask());
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('DupNameTask');
      expect(error.message).toMatch(/duplicate step name same/);
    });

    it('@Compensate for an unknown step', () => {
      @Task({ name: 'unknown-comp' })
      class UnknownCompTask {
        @Step({ order: 1 })
        a() {
          return null;
        }
        @Compensate('ghost')
        undoGhost() {
          return null;
        }
      }
      const error = registerError(new UnknownCompTask());
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('UnknownCompTask');
      expect(error.message).toContain('"ghost"');
      expect(error.message).toMatch(/names no step/);
    });

    it('two compensations for one step', () => {
      @Task({ name: 'two-comps' })
      class TwoCompsTask {
        @Step({ order: 1 })
        a() {
          return null;
        }
        @Compensate('a')
        undo1() {
          return null;
        }
        @Compensate('a')
        undo2() {
          return null;
        }
      }
      const error = registerError(new TwoCompsTask());
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('TwoCompsTask');
      expect(error.message).toMatch(/step "a" has two compensations/);
    });

    it('the same task name declared by two classes', () => {
      @Task({ name: 'shared-name' })
      class FirstOwner {
        @Step({ order: 1 })
        a() {
          return null;
        }
      }
      @Task({ name: 'shared-name' })
      class SecondOwner {
        @Step({ order: 1 })
        a() {
          return null;
        }
      }
      const registry = new TaskRegistry();
      registry.register(new FirstOwner());
      const error = registerError(new SecondOwner(), registry);
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('SecondOwner');
      expect(error.message).toContain('FirstOwner');
      expect(error.message).toContain('"shared-name"');
      // The first registration stays intact.
      expect(registry.get('shared-name')?.className).toBe('FirstOwner');
    });

    it('retry attempts of 0', () => {
      @Task({ name: 'bad-attempts' })
      class BadAttemptsTask {
        @Step({ order: 1, retry: { attempts: 0 } })
        a() {
          return null;
        }
      }
      const error = registerError(new BadAttemptsTask());
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('BadAttemptsTask');
      expect(error.message).toMatch(/step "a": retry.attempts must be an integer >= 1/);
    });

    it('non-integer retry attempts', () => {
      @Task({ name: 'frac-attempts' })
      class FracAttemptsTask {
        @Step({ order: 1, retry: { attempts: 1.5 } })
        a() {
          return null;
        }
      }
      expect(registerError(new FracAttemptsTask()).message).toMatch(/FracAttemptsTask.*retry.attempts/);
    });

    it('a class without @Task', () => {
      class PlainClass {
        @Step({ order: 1 })
        a() {
          return null;
        }
      }
      const error = registerError(new PlainClass());
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect(error.message).toContain('PlainClass');
      expect(error.message).toMatch(/missing @Task/);
    });

    it('a bad placement and a non-positive task timeout', () => {
      @Task({ name: 'bad-on' })
      class BadOnTask {
        @Step({ order: 1, on: 'browser' as never })
        a() {
          return null;
        }
      }
      expect(registerError(new BadOnTask()).message).toMatch(/BadOnTask.*on must be "api" or "worker"/);

      @Task({ name: 'bad-timeout', timeoutMs: 0 })
      class BadTimeoutTask {
        @Step({ order: 1 })
        a() {
          return null;
        }
      }
      expect(registerError(new BadTimeoutTask()).message).toMatch(/BadTimeoutTask.*timeoutMs must be positive/);
    });

    it('cluster limits that are not positive integers, or a rate limit without its window', () => {
      const limited = (options: object) => {
        @Task({ name: 'limited', ...options })
        class LimitedTask {
          @Step({ order: 1 })
          a() {
            return null;
          }
        }
        return new LimitedTask();
      };
      expect(registerError(limited({ concurrency: { max: 0 } })).message).toMatch(/concurrency.max must be an integer/);
      expect(registerError(limited({ concurrency: { perOwner: 1.5 } })).message).toMatch(/concurrency.perOwner/);
      expect(registerError(limited({ rateLimit: { max: 2 } })).message).toMatch(/rateLimit needs max and perMs/);
      expect(registerError(limited({ rateLimit: { max: 2, perMs: -1 } })).message).toMatch(/rateLimit.perMs/);
      expect(new TaskRegistry().register(limited({})).limits).toBeUndefined();
      expect(
        new TaskRegistry().register(limited({ concurrency: { max: 3 }, rateLimit: { max: 5, perMs: 1000 } })).limits,
      ).toEqual({ max: 3, rate: { max: 5, perMs: 1000 } });
    });

    it('a task name that cannot be a URL segment', () => {
      @Task({ name: 'has space' })
      class SpacedTask {
        @Step({ order: 1 })
        a() {
          return null;
        }
      }
      expect(registerError(new SpacedTask()).message).toMatch(/SpacedTask.*"has space"/);
    });

    it('schedules: names unique within the task, a known missed policy, an owner', () => {
      const scheduled = (schedules: unknown) => {
        @Task({ name: 'scheduled', schedules: schedules as never })
        class ScheduledTask {
          @Step({ order: 1 })
          a() {
            return null;
          }
        }
        return new ScheduledTask();
      };
      expect(
        compileTask(scheduled([{ cron: '0 3 * * *' }, { name: 'eu', cron: '0 4 * * *', missed: 'skip' }])).schedules,
      ).toEqual([
        { name: 'scheduled:0', cron: '0 3 * * *', timezone: 'UTC', input: {}, missed: 'latest', owner: 'anonymous' },
        { name: 'scheduled:eu', cron: '0 4 * * *', timezone: 'UTC', input: {}, missed: 'skip', owner: 'anonymous' },
      ]);
      expect(
        registerError(
          scheduled([
            { name: 'a', cron: '* * * * *' },
            { name: 'a', cron: '0 * * * *' },
          ]),
        ).message,
      ).toMatch(/ScheduledTask.*duplicate schedule name scheduled:a/);
      expect(registerError(scheduled([{ cron: '* * * * *', missed: 'all' }])).message).toMatch(
        /schedule 0: missed must be/,
      );
      expect(registerError(scheduled([{ cron: '' }])).message).toMatch(/schedule 0: cron must be/);
      expect(registerError(scheduled([{ name: 'a:b', cron: '* * * * *' }])).message).toMatch(
        /schedule a:b: name must be/,
      );
      expect(registerError(scheduled([{ cron: '* * * * *', owner: '' }])).message).toMatch(/owner must be/);
    });
  });
});
