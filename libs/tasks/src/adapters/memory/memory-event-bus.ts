import type { TaskEvent } from '../../model';
import type { EventBus, EventListener } from '../../ports';

/** In-process fan-out: embedded mode, and tests. */
export class MemoryEventBus implements EventBus {
  private readonly listeners = new Set<EventListener>();

  async publish(event: TaskEvent): Promise<void> {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One faulty listener must not starve the others.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
