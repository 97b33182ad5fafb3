/**
 * @stepwise/client: submit Stepwise tasks, follow them over Socket.IO and
 * wait for their results, from Node 20+ or a browser. No Nest, no server
 * code: `fetch` and `socket.io-client` only.
 */
export { StepwiseClient, type StepwiseClientOptions } from './stepwise-client';
export { TaskHandle } from './task-handle';
export { SchedulesClient } from './schedules-client';
export { TaskEventStream } from './task-event-stream';
export { StepwiseError, type StepwiseErrorContext } from './stepwise-error';
export type { FetchLike, HeadersSource } from './http';
export type { SocketConnectionOptions } from './socket-hub';
export {
  HELD_BACK_REASONS,
  PUBLIC_EVENT_TYPES,
  TASK_STATUSES,
  TASKS_NAMESPACE,
  TERMINAL_EVENT_TYPES,
  TERMINAL_STATUSES,
  isTerminalEvent,
  isTerminalStatus,
  type DeleteFinishedFilter,
  type DeleteFinishedView,
  type DoneOptions,
  type DownloadOptions,
  type MissedSlotPolicy,
  type RetryFailedFilter,
  type RetryFailedView,
  type ScheduleInput,
  type ScheduleListView,
  type ScheduleView,
  type TaskStatsView,
  type ErrorBody,
  type FieldIssueView,
  type HeldBackReason,
  type HeldBackView,
  type FileInput,
  type ChildTaskView,
  type ListQuery,
  type Placement,
  type PollOptions,
  type RequestOptions,
  type ResultFileView,
  type StepStatus,
  type StepView,
  type Submission,
  type SubmitOptions,
  type TaskErrorView,
  type TaskEvent,
  type TaskEventType,
  type TaskEventView,
  type TaskLinks,
  type TaskListView,
  type TaskPage,
  type TaskResult,
  type TaskResultView,
  type TaskStatus,
  type TaskView,
  type TerminalEventType,
  type TerminalStatus,
} from './types';
