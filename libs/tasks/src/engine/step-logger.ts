import type { StepLogFields, TaskLogger } from '../definition';

/**
 * The `ctx.logger` of one step attempt: every line carries the task id,
 * type, owner, step and attempt. As fields, when the host's logger can
 * (`child`); otherwise at the start of the message:
 * `task 7d0c… (report, owner alice) step render #2: message`.
 */
export function stepLogger(logger: TaskLogger, fields: StepLogFields): TaskLogger {
  if (logger.child) return logger.child(fields);
  const prefix = stepLinePrefix(fields);
  return {
    log: (message) => logger.log(prefix + message),
    warn: (message) => logger.warn(prefix + message),
    error: (message) => logger.error(prefix + message),
  };
}

/** The fields of a step's line as text, for a logger that has no fields: `task <id> (<type>, owner <owner>) step <step> #<attempt>: `. */
export function stepLinePrefix(fields: StepLogFields): string {
  return `task ${fields.taskId} (${fields.taskType}, owner ${fields.owner}) step ${fields.step} #${fields.attempt}: `;
}
