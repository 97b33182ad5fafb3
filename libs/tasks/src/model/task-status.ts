import { TERMINAL_STATUSES, type TaskStatus } from '@stepwise/contract';

// The lists are the public contract's (shared with @stepwise/client); the kernel speaks the same words.
export {
  PLACEMENTS,
  STEP_STATUSES,
  TASK_STATUSES,
  TERMINAL_STATUSES,
  isTaskStatus,
  isTerminalStatus,
  type Placement,
  type StepStatus,
  type TaskStatus,
  type TerminalStatus,
} from '@stepwise/contract';

/** Whether a task in this status never changes again. */
export function isTerminal(status: TaskStatus): boolean {
  return (TERMINAL_STATUSES as readonly TaskStatus[]).includes(status);
}
