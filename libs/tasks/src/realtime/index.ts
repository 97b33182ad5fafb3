import type { Provider, Type } from '@nestjs/common';
import { SseStreams, TaskEventsController } from './task-events.controller';
import { TaskEventsGateway } from './task-events.gateway';

/** Registered by `TaskModule`. */
export const REALTIME_CONTROLLERS: Type[] = [TaskEventsController];
export const REALTIME_PROVIDERS: Provider[] = [TaskEventsGateway, SseStreams];

export { TASKS_NAMESPACE } from '../web/task-namespace';
export {
  TaskEventsGateway,
  MAX_SUBSCRIPTIONS_PER_SOCKET,
  ownerRoom,
  taskRoom,
  type SubscriptionAck,
} from './task-events.gateway';
export { TaskEventsController, SseStreams } from './task-events.controller';
export { ProgressThrottle, type ProgressThrottleOptions, type ThrottledEvent } from './progress-throttle';
export {
  PUBLIC_EVENT_TYPES,
  isPublicEvent,
  isTerminalEvent,
  toTaskEventView,
  type TaskEventView,
} from './task-event-view';
