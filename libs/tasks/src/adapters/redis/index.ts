export * from './redis-event-bus';
export * from './redis-connection';
