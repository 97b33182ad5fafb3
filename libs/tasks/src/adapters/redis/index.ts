export * from './redis-event-bus';
