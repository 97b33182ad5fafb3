import {
  HELD_BACK_REASONS,
  MISSED_SLOT_POLICIES,
  PUBLIC_EVENT_TYPES,
  TASK_EVENT_TYPES,
  TASK_STATUSES,
  TERMINAL_EVENT_TYPES,
  TERMINAL_STATUSES,
  isPublicEventType,
  isTaskStatus,
  isTerminalEventType,
  isTerminalStatus,
  terminalEventOf,
} from './index';

describe('the contract lists', () => {
  it('name each status and event once', () => {
    for (const list of [
      TASK_STATUSES,
      TERMINAL_STATUSES,
      TASK_EVENT_TYPES,
      PUBLIC_EVENT_TYPES,
      TERMINAL_EVENT_TYPES,
      MISSED_SLOT_POLICIES,
      HELD_BACK_REASONS,
    ]) {
      expect(new Set(list).size).toBe(list.length);
    }
  });

  it('map every terminal status to the terminal event it records, and back', () => {
    expect(TERMINAL_STATUSES.map(terminalEventOf)).toEqual([...TERMINAL_EVENT_TYPES]);
    for (const name of TERMINAL_EVENT_TYPES) expect(TASK_EVENT_TYPES).toContain(name);
  });

  it('keep the audit-only events out of the public ones', () => {
    expect(TASK_EVENT_TYPES.filter((name) => !isPublicEventType(name))).toEqual([
      'task.retrying',
      'task.compensating',
      'task.cancel_requested',
      'task.retried',
      'task.downloaded',
      'task.signalled',
    ]);
  });

  it('check strings a server sent, whatever they are', () => {
    expect(TASK_STATUSES.filter(isTerminalStatus)).toEqual(['completed', 'failed', 'cancelled']);
    expect(isTerminalStatus('done')).toBe(false);
    expect(isTaskStatus('paused')).toBe(true);
    expect([undefined, null, 3, 'Paused', 'toString'].some(isTaskStatus)).toBe(false);
    expect(isTerminalEventType('task.failed')).toBe(true);
    expect(isTerminalEventType('task.progress')).toBe(false);
    expect(isPublicEventType('task.retrying')).toBe(false);
  });
});
