/**
 * @stepwise/contract: what a Stepwise server and its clients agree on (task
 * and step statuses, event names, the REST and event views, the Socket.IO
 * namespace), as `as const` lists with the types derived from them. Plain
 * TypeScript with no dependency and no Node API: `@stepwise/tasks` and
 * `@stepwise/client` each build it in, so it is never installed on its own.
 */
export * from './statuses';
export * from './events';
export * from './views';
export * from './realtime';
export * from './schedules';
export * from './held-back';
