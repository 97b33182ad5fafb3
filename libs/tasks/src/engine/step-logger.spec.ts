import type { StepLogFields, TaskLogger } from '../definition';
import { RecordingLogger } from './testing/engine-fixture';
import { stepLogger } from './step-logger';

const fields: StepLogFields = { taskId: 't-1', taskType: 'report', owner: 'alice', step: 'render', attempt: 2 };

describe("a step's logger", () => {
  it('writes the task, owner, step and attempt at the start of each line of a logger without fields', () => {
    const host = new RecordingLogger();
    const logger = stepLogger(host, fields);
    logger.log('one');
    logger.warn('two');
    logger.error('three');
    expect(host.lines).toEqual([
      { level: 'log', message: 'task t-1 (report, owner alice) step render #2: one' },
      { level: 'warn', message: 'task t-1 (report, owner alice) step render #2: two' },
      { level: 'error', message: 'task t-1 (report, owner alice) step render #2: three' },
    ]);
  });

  it("is the host's child logger when it has one", () => {
    const child: TaskLogger = new RecordingLogger();
    const host = Object.assign(new RecordingLogger(), { child: jest.fn(() => child) });
    expect(stepLogger(host, fields)).toBe(child);
    expect(host.child).toHaveBeenCalledWith(fields);
  });
});
