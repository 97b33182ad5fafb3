import { Step, Task, type StepContext } from '@stepwise/tasks';
import { z } from 'zod';
import { CountdownTask } from '../countdown/countdown.task';

export const countdownBatchInput = z
  .object({
    count: z.number().int().min(1).max(20).default(3).meta({ title: 'Children' }),
    ticks: z.number().int().min(1).max(1_000).default(5).meta({ title: 'Beats per countdown' }),
    tickMs: z.number().int().min(0).max(60_000).default(1000).meta({ title: 'Beat length (ms)' }),
  })
  .meta({
    title: 'Fan-out',
    description: 'Starts several countdowns as child tasks and waits for them all, holding no worker meanwhile.',
  });

export type CountdownBatchInput = z.output<typeof countdownBatchInput>;

/**
 * Fan-out and fan-in: one child `countdown` per `count`, then the sum of
 * their ticks. The parent is `waiting` while they run; the last one to end
 * wakes it, and its step runs again, its spawns answering the same children.
 */
@Task({ name: 'countdown-batch', cancellable: true, input: countdownBatchInput })
export class CountdownBatchTask {
  @Step({ order: 1, on: 'worker' })
  async countDownAll(ctx: StepContext<CountdownBatchInput>): Promise<{ countdowns: number; ticks: number }> {
    const { count, ticks, tickMs } = ctx.input;
    const children = [];
    for (let i = 0; i < count; i++) children.push(await ctx.spawn<{ ticks: number }>(CountdownTask, { ticks, tickMs }));
    const outputs = await ctx.waitFor(children);
    return { countdowns: outputs.length, ticks: outputs.reduce((sum, output) => sum + output.ticks, 0) };
  }
}
