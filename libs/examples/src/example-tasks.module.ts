import { Module } from '@nestjs/common';
import { ApprovalTask } from './approval/approval.task';
import { CountdownTask } from './countdown/countdown.task';
import { CountdownBatchTask } from './countdown-batch/countdown-batch.task';
import { CreateZipTask } from './create-zip/create-zip.task';
import { CsvImportTask } from './csv-import/csv-import.task';
import { ThrottledCountdownTask } from './throttled-countdown/throttled-countdown.task';

/** The example tasks; TaskModule discovers them (import it next to `TaskModule.forRoot()`). */
@Module({
  providers: [CreateZipTask, CountdownTask, CsvImportTask, ApprovalTask, CountdownBatchTask, ThrottledCountdownTask],
  exports: [CreateZipTask, CountdownTask, CsvImportTask, ApprovalTask, CountdownBatchTask, ThrottledCountdownTask],
})
export class ExampleTasksModule {}
