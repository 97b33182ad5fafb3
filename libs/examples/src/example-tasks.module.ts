import { Module } from '@nestjs/common';
import { CountdownTask } from './countdown/countdown.task';
import { CreateZipTask } from './create-zip/create-zip.task';
import { CsvImportTask } from './csv-import/csv-import.task';

/** The example tasks; TaskModule discovers them (import it next to `TaskModule.forRoot()`). */
@Module({
  providers: [CreateZipTask, CountdownTask, CsvImportTask],
  exports: [CreateZipTask, CountdownTask, CsvImportTask],
})
export class ExampleTasksModule {}
