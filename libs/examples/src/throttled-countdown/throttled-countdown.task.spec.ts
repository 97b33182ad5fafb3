import { compileTask } from '@stepwise/tasks';
import { ThrottledCountdownTask } from './throttled-countdown.task';

describe('throttled-countdown', () => {
  it('declares its cluster-wide limits: one at a time, two starts a second', () => {
    const definition = compileTask(new ThrottledCountdownTask());
    expect(definition.name).toBe('throttled-countdown');
    expect(definition.limits).toEqual({ max: 1, rate: { max: 2, perMs: 1_000 } });
  });
});
