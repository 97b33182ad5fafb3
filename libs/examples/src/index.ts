export * from './example-tasks.module';
export * from './countdown/countdown.task';
export * from './create-zip/create-zip.task';
export * from './csv-import/csv-import.task';
export * from './approval/approval.task';
export * from './countdown-batch/countdown-batch.task';
export * from './throttled-countdown/throttled-countdown.task';
export { CsvParser, CsvSyntaxError, type CsvParserOptions, type CsvRecord } from './csv-import/csv-parser';
