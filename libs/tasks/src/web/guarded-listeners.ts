import type { EventEmitter } from 'node:events';

type Listener = (...args: never[]) => void;

/**
 * Attaches event and stream listeners whose exceptions cannot escape.
 *
 * Node calls a listener synchronously from `emit()`; whatever it throws goes
 * up through the emitter (a parser, a socket) into the event loop, where it is
 * an uncaught exception and ends the process. Every listener attached through
 * this goes to `onError` instead: the request's error path, which answers the
 * client and cleans up. Lint forbids plain `.on()` where request streams are
 * handled, so a listener cannot be added without this guard.
 */
export interface GuardedListeners {
  on<E extends EventEmitter>(emitter: E, event: string | symbol, listener: Listener): E;
  once<E extends EventEmitter>(emitter: E, event: string | symbol, listener: Listener): E;
  off<E extends EventEmitter>(emitter: E, event: string | symbol, listener: Listener): E;
}

/** Listeners that funnel their exceptions into `onError` (which must not throw itself). */
export function guardedListeners(onError: (error: unknown) => void): GuardedListeners {
  // Kept per original listener so that `off()` can find the wrapper.
  const wrappers = new WeakMap<Listener, (...args: unknown[]) => void>();
  const wrap = (listener: Listener) => {
    let wrapped = wrappers.get(listener);
    if (!wrapped) {
      wrapped = (...args: unknown[]) => {
        try {
          (listener as (...args: unknown[]) => void)(...args);
        } catch (error) {
          onError(error);
        }
      };
      wrappers.set(listener, wrapped);
    }
    return wrapped;
  };
  return {
    on: (emitter, event, listener) => emitter.on(event, wrap(listener)),
    once: (emitter, event, listener) => emitter.once(event, wrap(listener)),
    off: (emitter, event, listener) => emitter.off(event, wrap(listener)),
  };
}
