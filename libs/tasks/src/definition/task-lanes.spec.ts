import { Step, Task } from './decorators';
import { TaskDefinitionError } from './task-definition-error';
import { definitionLanes, taskLanes, uniqueLanes } from './task-lanes';
import { compileTask } from './task-registry';

@Task({ name: 'report', queue: 'reports' })
class ReportTask {
  @Step({ order: 1, on: 'api' })
  accept() {}

  @Step({ order: 2 })
  render() {}

  @Step({ order: 3, on: 'worker' })
  mail() {}

  @Step({ order: 4, on: 'api' })
  notify() {}
}

@Task({ name: 'ping' })
class PingTask {
  @Step({ order: 1 })
  run() {}
}

class NotATask {}

describe('task lanes', () => {
  it('are the task queue with each placement its steps use, once, placement defaulting to worker', () => {
    expect(taskLanes(ReportTask)).toEqual([
      { queue: 'reports', placement: 'api' },
      { queue: 'reports', placement: 'worker' },
    ]);
  });

  it('put a task without a queue on the default queue', () => {
    expect(taskLanes(PingTask)).toEqual([{ queue: 'default', placement: 'worker' }]);
  });

  it('read from the decorators match those of the compiled definition', () => {
    for (const type of [ReportTask, PingTask]) {
      expect(definitionLanes(compileTask(new type()))).toEqual(taskLanes(type));
    }
  });

  it('refuse a class that is not a task, naming it', () => {
    expect(() => taskLanes(NotATask)).toThrow(TaskDefinitionError);
    expect(() => taskLanes(NotATask)).toThrow(/NotATask: missing @Task\(\)/);
  });

  it('are listed once across tasks sharing a queue', () => {
    @Task({ name: 'other', queue: 'reports' })
    class OtherTask {
      @Step({ order: 1 })
      run() {}
    }
    expect(uniqueLanes([...taskLanes(ReportTask), ...taskLanes(OtherTask), ...taskLanes(PingTask)])).toEqual([
      { queue: 'reports', placement: 'api' },
      { queue: 'reports', placement: 'worker' },
      { queue: 'default', placement: 'worker' },
    ]);
  });
});
