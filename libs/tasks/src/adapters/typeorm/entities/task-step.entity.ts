import { EntitySchema } from 'typeorm';
import type { StepRecord } from '../../../model';
import { fractionColumn, intColumn, jsonColumn, stringColumn, timeColumn } from './columns';

/** A row of `stepwise_task_steps`: one step's checkpoint, keyed by task id + step name. */
export type TaskStepRow = StepRecord & { taskId: string };

/**
 * Step checkpoints in their own table so that a save writes only the steps
 * that changed. `order` and `on` are SQL keywords, hence the column names.
 */
export const TaskStepEntity = new EntitySchema<TaskStepRow>({
  name: 'StepwiseTaskStep',
  tableName: 'stepwise_task_steps',
  columns: {
    taskId: { ...stringColumn('task_id'), primary: true },
    name: { ...stringColumn('name'), primary: true },
    order: intColumn('step_order'),
    on: stringColumn('placement'),
    status: stringColumn('status'),
    attempts: intColumn('attempts'),
    abandoned: { ...intColumn('abandoned'), default: 0 },
    progress: fractionColumn('progress'),
    output: jsonColumn('output'),
    error: jsonColumn('error'),
    startedAt: timeColumn('started_at', true),
    finishedAt: timeColumn('finished_at', true),
  },
});
