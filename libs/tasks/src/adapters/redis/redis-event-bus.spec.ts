import type { TaskEvent, TaskEventType } from '../../model';
import { messages } from './redis-event-bus';

const event = (taskId: string, type: TaskEventType): TaskEvent => ({
  taskId,
  owner: 'o',
  type,
  taskType: 'noop',
  status: 'running',
  progress: 0,
  at: 0,
});

/** Each message as "type: task task ...". */
const shape = (events: TaskEvent[]) =>
  messages(events).map((m) => `${m.type}: ${m.events.map((e) => e.taskId).join(' ')}`);

describe('RedisEventBus messages', () => {
  it('puts the events of one type in one message when no task is overtaken', () => {
    const events = ['a', 'b', 'c'].flatMap((id) => [event(id, 'task.step'), event(id, 'task.completed')]);
    expect(shape(events)).toEqual(['task.step: a b c', 'task.completed: a b c']);
  });

  it("starts a new message rather than let a task's event overtake its earlier one", () => {
    const events = [
      event('a', 'task.step'),
      event('a', 'task.completed'),
      event('a', 'task.step'),
      event('b', 'task.step'),
    ];
    // a's second task.step may not join the first message: it would arrive before a's task.completed.
    expect(shape(events)).toEqual(['task.step: a', 'task.completed: a', 'task.step: a b']);
    // Read in publishing order, every task's events are in the order they were published.
    const order = messages(events).flatMap((m) => m.events);
    expect(order.filter((e) => e.taskId === 'a').map((e) => e.type)).toEqual([
      'task.step',
      'task.completed',
      'task.step',
    ]);
  });
});
