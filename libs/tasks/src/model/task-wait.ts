/**
 * What a `waiting` task waits for, as its `waitingFor` records it: a signal
 * (`signal:<name>`) or its child tasks (`children`).
 */
export type WaitTarget = `signal:${string}` | 'children';

/** The wait of a step for the signal `name`. */
export function signalWait(name: string): WaitTarget {
  return `signal:${name}`;
}

/** The signal a wait target names, or null when it waits for something else. */
export function signalOf(target: string | null | undefined): string | null {
  return target?.startsWith('signal:') ? target.slice('signal:'.length) : null;
}

/**
 * How far ahead a wait without a timeout is due: never, in practice. A
 * waiting task's `runAt` is its wait's deadline (the sweeper wakes it then);
 * a far date keeps one rule for both.
 */
export const WAIT_FOREVER_MS = 100 * 365 * 86_400_000;
