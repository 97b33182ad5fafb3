import { Step, Task, type StepContext } from '@stepwise/tasks';
import { countDown, countdownInput, type CountdownInput } from '../countdown/countdown.task';

const throttledCountdownInput = countdownInput.meta({
  title: 'Throttled countdown',
  description: 'A countdown that runs one at a time across the cluster, at most two starting per second.',
});

/**
 * A countdown under cluster-wide limits, as a step calling a fragile or
 * rate-limited service would be: one runs at a time across every worker,
 * and at most two start in any second. The others wait `pending`, held back
 * (`GET /tasks/{id}` says why), holding no worker slot.
 */
@Task({
  name: 'throttled-countdown',
  input: throttledCountdownInput,
  concurrency: { max: 1 },
  rateLimit: { max: 2, perMs: 1_000 },
})
export class ThrottledCountdownTask {
  @Step({ order: 1, on: 'worker' })
  countDown(ctx: StepContext<CountdownInput>): Promise<{ ticks: number }> {
    return countDown(ctx);
  }
}
