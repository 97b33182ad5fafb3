/** The Socket.IO namespace of live task events. */
export const TASKS_NAMESPACE = '/tasks';
