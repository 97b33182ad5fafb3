import type { TaskEventType } from '@stepwise/contract';
import type { TaskStatus } from './task-status';

// The event names are the public contract's (shared with @stepwise/client): one list for the
// types, the webhook settings' check, the OpenAPI enums, the dashboard and the client.
export {
  PUBLIC_EVENT_TYPES,
  TASK_EVENT_TYPES,
  TERMINAL_EVENT_TYPES,
  isPublicEventType,
  isTerminalEventType,
  terminalEventOf,
  type PublicEventType,
  type TaskEventType,
  type TerminalEventType,
} from '@stepwise/contract';

/** Events after which a task never changes again. */
export { TERMINAL_EVENT_TYPES as TERMINAL_EVENTS } from '@stepwise/contract';

/** One entry of a task's event log, and the payload pushed to subscribers. */
export interface TaskEvent {
  /** Position in the log (monotonic per store); absent until appended. */
  seq?: number;
  taskId: string;
  /** Owner of the task: lets transports route without a lookup. */
  owner: string;
  type: TaskEventType;
  taskType: string;
  status: TaskStatus;
  progress: number;
  step?: string;
  stepStatus?: string;
  message?: string;
  /**
   * Who asked for the change: the caller's owner (or principal), `system`
   * for application code, `schedule:<name>` for a schedule. Absent for what
   * the engine does on its own.
   */
  actor?: string;
  at: number;
}
