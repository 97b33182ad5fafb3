import Redis, { type RedisOptions } from 'ioredis';
import type { TaskEvent, TaskEventType } from '../../model';
import type { EventBus, EventListener, EventSubscription } from '../../ports';
import { GroupCommit } from '../group-commit';

/**
 * Events across processes over Redis pub/sub: a worker's progress reaches
 * every API instance. Each event type has its own channel
 * (`stepwise:events:task.progress`...): a listener of every event takes them
 * all by pattern, one of some types only those channels, so a worker, which
 * wants cancels only, does not receive (nor parse) every progress report.
 * Fire-and-forget: a subscriber that was down catches up from the task's
 * event log, which is the durable copy. The events published together (in
 * one turn, or while earlier publishes are on their way) go as few messages:
 * a message is a JSON array of events of one type, and every task's events
 * still arrive in the order they were published.
 */
export class RedisEventBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly everything = new Set<EventListener>();
  private readonly byType = new Map<TaskEventType, Set<EventListener>>();
  /** (Un)subscriptions on their way: each leaves the set once Redis has answered it. */
  private readonly pending = new Set<Promise<void>>();
  private readonly publishes = new GroupCommit<TaskEvent, void>((events) => this.publishAll(events), {
    maxBatch: 500,
    maxInFlight: 2,
  });

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

  publish(event: TaskEvent): Promise<void> {
    return this.publishes.submit(event);
  }

  private async publishAll(events: TaskEvent[]): Promise<void[]> {
    const sent = messages(events).map(({ type, events: batch }) =>
      this.publisher.publish(this.channelOf(type), JSON.stringify(batch.length === 1 ? batch[0] : batch)),
    );
    // Auto-pipelining: one write for all of them.
    await Promise.all(sent);
    return events.map(() => undefined);
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
    // Every one still on its way, whoever asked for it: a second reader of a subscription
    // another made a moment ago waits for it as the first does.
    const pending = [...this.pending];
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
    const settled: Promise<void> = subscription.then(
      () => void this.pending.delete(settled),
      () => void this.pending.delete(settled),
    );
    this.pending.add(settled);
  }
}

/**
 * The messages that carry `events`, in publishing order: each event joins the
 * latest message of its type unless its task has an event in a later message
 * (it would then overtake it), else starts a new one.
 */
export function messages(events: readonly TaskEvent[]): Array<{ type: TaskEventType; events: TaskEvent[] }> {
  const out: Array<{ type: TaskEventType; events: TaskEvent[] }> = [];
  const latestOfType = new Map<TaskEventType, number>();
  const lastOfTask = new Map<string, number>();
  for (const event of events) {
    let at = latestOfType.get(event.type);
    if (at === undefined || (lastOfTask.get(event.taskId) ?? -1) > at) {
      at = out.push({ type: event.type, events: [] }) - 1;
      latestOfType.set(event.type, at);
    }
    out[at].events.push(event);
    lastOfTask.set(event.taskId, at);
  }
  return out;
}

/** A message holds one event or an array of them. */
function deliver(raw: string, listeners: ReadonlySet<EventListener> | undefined): void {
  if (!listeners || listeners.size === 0) return;
  let parsed: TaskEvent | TaskEvent[];
  try {
    parsed = JSON.parse(raw) as TaskEvent | TaskEvent[];
  } catch {
    return;
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  const targets = [...listeners];
  for (const event of events) {
    for (const listener of targets) {
      try {
        listener(event);
      } catch {
        // One faulty listener must not starve the others.
      }
    }
  }
}
