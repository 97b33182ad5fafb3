export * from './tasks-config-from-env';
