/**
 * `@stepwise/tasks/testing`: run your own tasks in tests, with no services.
 */
export * from './task-test-bed';
export { ManualClock, MemoryObjectStorage } from '../adapters/memory';
