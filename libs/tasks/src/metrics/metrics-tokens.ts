/** The `MetricsOptions` MetricsModule was registered with. */
export const METRICS_OPTIONS = Symbol.for('stepwise:MetricsOptions');
