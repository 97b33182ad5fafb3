import type { TaskEvent } from '../../model';
import type { EventBus, EventListener, EventSubscription } from '../../ports';

/** In-process fan-out: embedded mode, and tests. */
export class MemoryEventBus implements EventBus {
  private readonly listeners = new Map<EventListener, EventSubscription>();

  async publish(event: TaskEvent): Promise<void> {
    for (const [listener, { types }] of [...this.listeners]) {
      if (types && !types.includes(event.type)) continue;
      try {
        listener(event);
      } catch {
        // One faulty listener must not starve the others.
      }
    }
  }

  subscribe(listener: EventListener, subscription: EventSubscription = {}): () => void {
    this.listeners.set(listener, subscription);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
