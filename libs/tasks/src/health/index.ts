export * from './health.controller';
export * from './stepwise-health.indicator';
