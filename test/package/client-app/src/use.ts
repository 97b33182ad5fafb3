// A user's code against @stepwise/client as installed from its tarball: compiled by
// strict tsc (no skipLibCheck) for a browser, a CommonJS Node and an ESM Node project.
import {
  StepwiseClient,
  StepwiseError,
  TERMINAL_STATUSES,
  isTerminalStatus,
  type TaskEvent,
  type TaskStatus,
  type TaskView,
} from '@stepwise/client';

export async function follow(baseUrl: string): Promise<{ status: TaskStatus; events: string[] }> {
  const client = new StepwiseClient({ baseUrl, headers: () => ({ authorization: 'Bearer token' }) });
  const task = await client.submit(
    'countdown',
    { ticks: 2, tickMs: 10 },
    { files: [{ name: 'a.txt', data: new Uint8Array([104, 105]) }], idempotencyKey: 'k-1' },
  );
  const events: string[] = [];
  for await (const event of task.events()) {
    const seen: TaskEvent = event;
    events.push(seen.event);
  }
  try {
    const output = await task.done<{ ticks: number }>();
    events.push(String(output.ticks));
  } catch (error) {
    if (!(error instanceof StepwiseError)) throw error;
    return { status: error.taskStatus ?? 'failed', events };
  }
  const view: TaskView = await task.status();
  client.close();
  return { status: isTerminalStatus(view.status) ? view.status : TERMINAL_STATUSES[0], events };
}

// The types are the contract's, not `any`: a word that is no status does not compile.
// @ts-expect-error 'done' is not a TaskStatus
export const notAStatus: TaskStatus = 'done';
