// The page's script, bundled by esbuild for the browser from the installed tarball:
// submits a countdown and follows it to its end over Socket.IO.
import { StepwiseClient, type TaskEvent } from '@stepwise/client';

export interface Followed {
  id: string;
  events: Array<Pick<TaskEvent, 'event' | 'progress' | 'synthetic'>>;
  output: unknown;
}

async function followCountdown(baseUrl: string): Promise<Followed> {
  const client = new StepwiseClient({ baseUrl });
  try {
    const task = await client.submit('countdown', { ticks: 5, tickMs: 200 });
    const events: Followed['events'] = [];
    for await (const event of task.events()) {
      events.push({ event: event.event, progress: event.progress, synthetic: event.synthetic });
    }
    return { id: task.id, events, output: await task.done() };
  } finally {
    client.close();
  }
}

(globalThis as { followCountdown?: typeof followCountdown }).followCountdown = followCountdown;
