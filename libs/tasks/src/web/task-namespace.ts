/** The Socket.IO namespace of live task events: the public contract's `/tasks`. */
export { TASKS_NAMESPACE } from '@stepwise/contract';
