import Redis, { type RedisOptions } from 'ioredis';
import type { TaskEvent, TaskEventType } from '../../model';
import type { EventBus, EventListener, EventSubscription } from '../../ports';

/**
 * Events across processes over Redis pub/sub: a worker's progress reaches
 * every API instance. Each event type has its own channel
 * (`stepwise:events:task.progress`...): a listener of every event takes them
 * all by pattern, one of some types only those channels, so a worker, which
 * wants cancels only, does not receive (nor parse) every progress report.
 * Fire-and-forget: a subscriber that was down catches up from the task's
 * event log, which is the durable copy.
 */
export class RedisEventBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly everything = new Set<EventListener>();
  private readonly byType = new Map<TaskEventType, Set<EventListener>>();
  private pending: Array<Promise<unknown>> = [];

  /**
   * @param options.allEvents take every event from the start (default): an
   *   API process, whose live streams subscribe late and must not miss an
   *   event between their replay from the log and their subscription. False
   *   for a worker process, which receives only what its listeners ask for.
   */
  constructor(
    connection: RedisOptions,
    private readonly channel = 'stepwise:events',
    private readonly options: { allEvents?: boolean } = {},
  ) {
    // Publishing fails fast during an outage (the event log keeps the event);
    // the subscriber reconnects and resubscribes by itself. Auto-pipelining:
    // the events published in one tick leave in one write.
    this.publisher = new Redis({
      ...connection,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
    this.subscriber = new Redis({ ...connection, maxRetriesPerRequest: null });
    this.publisher.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    // A pattern message goes to the listeners of everything, a channel message to those of its type:
    // an event both subscriptions match reaches each listener once.
    this.subscriber.on('pmessage', (_pattern: string, _channel: string, raw: string) => deliver(raw, this.everything));
    this.subscriber.on('message', (channel: string, raw: string) =>
      deliver(raw, this.byType.get(channel.slice(this.channel.length + 1) as TaskEventType)),
    );
    if (this.eager) this.track(this.subscriber.psubscribe(this.pattern));
  }

  private get eager(): boolean {
    return this.options.allEvents ?? true;
  }

  private get pattern(): string {
    return `${this.channel}:*`;
  }

  async publish(event: TaskEvent): Promise<void> {
    await this.publisher.publish(this.channelOf(event.type), JSON.stringify(event));
  }

  subscribe(listener: EventListener, { types }: EventSubscription = {}): () => void {
    if (!types) {
      if (this.everything.size === 0 && !this.eager) this.track(this.subscriber.psubscribe(this.pattern));
      this.everything.add(listener);
      return () => {
        this.everything.delete(listener);
        if (this.everything.size === 0 && !this.eager) this.track(this.subscriber.punsubscribe(this.pattern));
      };
    }
    for (const type of types) {
      let listeners = this.byType.get(type);
      if (!listeners) this.byType.set(type, (listeners = new Set()));
      if (listeners.size === 0) this.track(this.subscriber.subscribe(this.channelOf(type)));
      listeners.add(listener);
    }
    return () => {
      for (const type of types) {
        const listeners = this.byType.get(type);
        if (!listeners?.delete(listener) || listeners.size > 0) continue;
        this.track(this.subscriber.unsubscribe(this.channelOf(type)));
      }
    };
  }

  /**
   * Resolves once the subscriptions asked for so far are active (events
   * published before are not seen) and the publisher is connected (before,
   * a publish fails fast).
   */
  async whenReady(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    const publisher = this.publisher;
    const connected =
      publisher.status === 'ready' ? undefined : new Promise((resolve) => publisher.once('ready', resolve));
    await Promise.all([...pending, connected]);
  }

  async close(): Promise<void> {
    this.everything.clear();
    this.byType.clear();
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }

  private channelOf(type: TaskEventType): string {
    return `${this.channel}:${type}`;
  }

  private track(subscription: Promise<unknown>): void {
    this.pending.push(subscription.catch(() => undefined));
  }
}

function deliver(raw: string, listeners: ReadonlySet<EventListener> | undefined): void {
  if (!listeners || listeners.size === 0) return;
  let event: TaskEvent;
  try {
    event = JSON.parse(raw) as TaskEvent;
  } catch {
    return;
  }
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch {
      // One faulty listener must not starve the others.
    }
  }
}
