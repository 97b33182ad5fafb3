import { Module } from '@nestjs/common';
import { ApprovalTask } from './approval/approval.task';
import { CountdownTask } from './countdown/countdown.task';
import { CreateZipTask } from './create-zip/create-zip.task';
import { CsvImportTask } from './csv-import/csv-import.task';

/** The example tasks; TaskModule discovers them (import it next to `TaskModule.forRoot()`). */
@Module({
  providers: [CreateZipTask, CountdownTask, CsvImportTask, ApprovalTask],
  exports: [CreateZipTask, CountdownTask, CsvImportTask, ApprovalTask],
})
export class ExampleTasksModule {}
