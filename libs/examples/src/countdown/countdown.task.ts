import { Step, Task, type StepContext } from '@stepwise/tasks';
import { z } from 'zod';
import { abortableSleep } from './abortable-sleep';

// Titles and descriptions (`.meta()`) label the dashboard's form, built from the JSON Schema.
export const countdownInput = z
  .object({
    ticks: z.number().int().min(1).max(10_000).default(10),
    tickMs: z.number().int().min(0).max(60_000).default(1000).meta({ title: 'Tick length (ms)' }),
  })
  .meta({
    title: 'Countdown',
    description: 'Waits a tick, again and again, reporting progress after each one. Cancel it any time.',
  });

export type CountdownInput = z.output<typeof countdownInput>;

/** Waits `tickMs` `ticks` times, reporting each tick; the step's signal stops it at once. */
export async function countDown(ctx: StepContext<CountdownInput>): Promise<{ ticks: number }> {
  const { ticks, tickMs } = ctx.input;
  for (let i = 1; i <= ticks; i++) {
    await abortableSleep(tickMs, ctx.signal);
    ctx.progress(i / ticks, `tick ${i}/${ticks}`);
  }
  return { ticks };
}

/** Waits `tickMs` `ticks` times, reporting each tick; cancellation stops it at once. Demos and tests rely on it. */
@Task({ name: 'countdown', cancellable: true, input: countdownInput })
export class CountdownTask {
  @Step({ order: 1, on: 'worker' })
  countDown(ctx: StepContext<CountdownInput>): Promise<{ ticks: number }> {
    return countDown(ctx);
  }
}
