/** The Socket.IO namespace of live task events (the public contract's `/tasks`). */
export const TASKS_NAMESPACE = '/tasks';
