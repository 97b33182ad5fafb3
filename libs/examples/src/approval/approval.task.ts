import { Step, Task, type StepContext } from '@stepwise/tasks';
import { z } from 'zod';

export const approvalInput = z
  .object({
    subject: z.string().min(1).max(200).default('expense report').meta({ title: 'What to approve' }),
    timeoutMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400_000)
      .optional()
      .meta({ title: 'How long to wait (ms)', description: 'Without it the task waits until a decision comes.' }),
  })
  .meta({
    title: 'Approval',
    description:
      'Waits for a person to decide: POST /tasks/{id}/signals/decision with { "approved": true, "by": "..." }.',
  });

export type ApprovalInput = z.output<typeof approvalInput>;

/** The payload of the `decision` signal. */
export const approvalDecision = z.object({ approved: z.boolean(), by: z.string().min(1).max(200) });

export type ApprovalDecision = z.output<typeof approvalDecision>;

/**
 * A human approval as one step: the task waits (status `waiting`, no worker
 * slot held) for the `decision` signal, for as long as it takes or until
 * `timeoutMs`. Demos and the distributed tests rely on it.
 */
@Task({ name: 'approval', cancellable: true, input: approvalInput })
export class ApprovalTask {
  // The wait is the whole step: when the signal wakes the task, the step runs again from here.
  @Step({ order: 1, on: 'worker', signals: { decision: approvalDecision } })
  async awaitDecision(ctx: StepContext<ApprovalInput>): Promise<ApprovalDecision & { subject: string }> {
    const decision = await ctx.waitForSignal<ApprovalDecision>('decision', { timeoutMs: ctx.input.timeoutMs });
    return { subject: ctx.input.subject, ...decision };
  }
}
