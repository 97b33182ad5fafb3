import Redis, { type RedisOptions } from 'ioredis';
import type { TaskEvent } from '../../model';
import type { EventBus, EventListener } from '../../ports';

/**
 * Events across processes over Redis pub/sub: a worker's progress reaches
 * every API instance. Fire-and-forget: a subscriber that was down catches up
 * from the task's event log, which is the durable copy.
 */
export class RedisEventBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Set<EventListener>();
  private readonly ready: Promise<unknown>;

  constructor(
    connection: RedisOptions,
    private readonly channel = 'stepwise:events',
  ) {
    // Publishing fails fast during an outage (the event log keeps the event);
    // the subscriber reconnects and resubscribes by itself.
    // Auto-pipelining: the events of many tasks published in one tick leave in one write.
    this.publisher = new Redis({
      ...connection,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
    this.subscriber = new Redis({ ...connection, maxRetriesPerRequest: null });
    this.publisher.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, raw: string) => this.deliver(raw));
    this.ready = this.subscriber.subscribe(channel);
  }

  async publish(event: TaskEvent): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(event));
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the subscription is active (events published before are not seen). */
  async whenReady(): Promise<void> {
    await this.ready;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }

  private deliver(raw: string): void {
    let event: TaskEvent;
    try {
      event = JSON.parse(raw) as TaskEvent;
    } catch {
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One faulty listener must not starve the others.
      }
    }
  }
}
