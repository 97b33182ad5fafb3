import { compileTask, type ObjectStorage } from '@stepwise/tasks';
import { fakeStepContext, tempStorage } from '../testing/fake-step-context';
import { CountdownTask, countdownInput, type CountdownInput } from './countdown.task';

describe('countdown', () => {
  const task = new CountdownTask();
  let storage: ObjectStorage;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ storage, dispose } = await tempStorage());
  });
  afterEach(() => dispose());

  const validate = async (raw: unknown) => countdownInput['~standard'].validate(raw);

  it('is a one-step worker task', () => {
    const definition = compileTask(task);
    expect(definition.name).toBe('countdown');
    expect(definition.steps.map((s) => [s.name, s.on])).toEqual([['countDown', 'worker']]);
  });

  it('defaults to 10 ticks of 1 s and bounds its input', async () => {
    expect(await validate({})).toEqual({ value: { ticks: 10, tickMs: 1000 } });
    for (const bad of [
      { ticks: 0 },
      { ticks: 10_001 },
      { ticks: 1.5 },
      { tickMs: -1 },
      { tickMs: 60_001 },
      { ticks: 'many' },
    ]) {
      const result = await validate(bad);
      expect(result.issues?.map((i) => i.path?.join('.'))).toEqual([Object.keys(bad)[0]]);
    }
  });

  it('reports progress after each tick and returns the count', async () => {
    const ctx = fakeStepContext<CountdownInput>({ storage, input: { ticks: 4, tickMs: 5 } });
    expect(await task.countDown(ctx)).toEqual({ ticks: 4 });
    expect(ctx.progressReports).toEqual([
      { fraction: 0.25, message: 'tick 1/4' },
      { fraction: 0.5, message: 'tick 2/4' },
      { fraction: 0.75, message: 'tick 3/4' },
      { fraction: 1, message: 'tick 4/4' },
    ]);
  });

  it('stops at once when its signal aborts, mid-tick', async () => {
    const ctx = fakeStepContext<CountdownInput>({ storage, input: { ticks: 100, tickMs: 60_000 } });
    const reason = new Error('cancelled');
    const started = Date.now();
    setTimeout(() => ctx.controller.abort(reason), 20);
    await expect(task.countDown(ctx)).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ctx.progressReports).toEqual([]);
  });

  it('does not start a tick when already aborted', async () => {
    const ctx = fakeStepContext<CountdownInput>({ storage, input: { ticks: 3, tickMs: 0 } });
    ctx.controller.abort(new Error('stop'));
    await expect(task.countDown(ctx)).rejects.toThrow('stop');
  });
});
