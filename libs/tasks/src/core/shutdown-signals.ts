import type { INestApplicationContext } from '@nestjs/common';

/**
 * Closes the app on SIGTERM or SIGINT, then exits with code 0 (1 if closing
 * failed). Use instead of `app.enableShutdownHooks()`, which re-raises the
 * signal after closing, so a clean graceful stop looks like a kill to
 * process managers. Closing runs the hooks that hand running tasks back.
 */
export function closeOnSignals(
  app: INestApplicationContext,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  let closing = false;
  const onSignal = () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}
