export * from './filesystem-storage';
