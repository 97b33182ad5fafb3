// Everything the storage suite starts (servers, apps, temp dirs, the build) is
// undone on success, failure, Ctrl-C or a stuck run (deadline).
import { DEADLINE_MS } from './settings.mjs';

/** Undo actions, run in reverse order, once, whatever happens. */
export const cleanups = [];
let cleaning;

export function cleanup() {
  cleaning ??= (async () => {
    for (const undo of cleanups.splice(0).reverse()) {
      try {
        await undo();
      } catch (error) {
        console.error(`cleanup: ${error}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}
setTimeout(() => {
  console.error(`storage bench: not done after ${DEADLINE_MS / 1000} s, giving up`);
  cleanup().finally(() => process.exit(1));
}, DEADLINE_MS).unref();
