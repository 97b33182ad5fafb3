export const TASK_METADATA = Symbol.for('stepwise:task');
export const STEPS_METADATA = Symbol.for('stepwise:steps');
export const COMPENSATIONS_METADATA = Symbol.for('stepwise:compensations');
export const EVENT_HOOKS_METADATA = Symbol.for('stepwise:event-hooks');
