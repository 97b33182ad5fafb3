/**
 * OpenAPI schemas of the views. Documentation only: handlers return the
 * plain objects of `task-view.ts`; these classes mirror them (checked by
 * `implements`) so Swagger can describe them.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  HELD_BACK_REASONS,
  PLACEMENTS,
  STEP_STATUSES,
  TASK_EVENT_TYPES,
  TASK_STATUSES,
  type HeldBackReason,
  type Placement,
  type StepStatus,
  type TaskEventType,
  type TaskStatus,
} from '../model';
import type { TaskAuditEntryView, TaskAuditView } from './task-audit-view';
import type {
  ChildTaskView,
  ErrorBody,
  HeldBackView,
  ResultFileView,
  StepView,
  TaskErrorView,
  TaskLinks,
  TaskListView,
  TaskResultView,
  TaskView,
} from './task-view';

// Swagger wants mutable arrays; the enums are the contract's lists.
const enumOf = <T extends string>(values: readonly T[]): T[] => [...values];

export class TaskErrorDto implements TaskErrorView {
  @ApiProperty({ example: 'Error' }) name!: string;
  @ApiProperty({ example: 'disk full' }) message!: string;
  @ApiPropertyOptional({ example: 'STEP_TIMEOUT' }) code?: string;
  @ApiPropertyOptional({ example: 'createZipArchive' }) step?: string;
}

export class StepViewDto implements StepView {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: enumOf(PLACEMENTS) }) on!: Placement;
  @ApiProperty({ enum: enumOf(STEP_STATUSES) }) status!: StepStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: () => TaskErrorDto, nullable: true }) error!: TaskErrorView | null;
}

export class TaskLinksDto implements TaskLinks {
  @ApiProperty({ example: '/tasks/7d0c…' }) self!: string;
  @ApiProperty({ example: '/tasks/7d0c…/events' }) events!: string;
  @ApiProperty({ example: '/tasks/7d0c…/audit' }) audit!: string;
  @ApiPropertyOptional({ description: 'Present once completed' }) result?: string;
  @ApiPropertyOptional({ description: 'Present once completed with a file' }) download?: string;
}

export class ChildTaskViewDto implements ChildTaskView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ enum: enumOf(TASK_STATUSES) }) status!: TaskStatus;
}

export class HeldBackDto implements HeldBackView {
  @ApiProperty({
    enum: enumOf(HELD_BACK_REASONS),
    description:
      '`concurrency`: its type runs `concurrency.max` tasks; `owner-concurrency`: its owner runs `perOwner` of them, or `fairness.perOwner` tasks of any type; ' +
      '`rate-limit`: its type started `rateLimit.max` runs in the window',
  })
  reason!: HeldBackReason;
  @ApiProperty({ format: 'date-time', description: 'When a limit first held it back' }) since!: string;
}

export class TaskViewDto implements TaskView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'create-zip' }) type!: string;
  @ApiProperty({ enum: enumOf(TASK_STATUSES) }) status!: TaskStatus;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiProperty({ type: String, nullable: true }) message!: string | null;
  @ApiProperty({ type: () => [StepViewDto] }) steps!: StepView[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({
    format: 'date-time',
    required: false,
    description: "When a pending task becomes due, if later than its creation; a waiting task: its wait's deadline",
  })
  runAt?: string;
  @ApiProperty({ required: false, description: 'What a waiting task waits for: `signal:<name>` or `children`' })
  waitingFor?: string;
  @ApiProperty({ required: false, format: 'uuid', description: 'The task that spawned this one' })
  parentId?: string;
  @ApiProperty({
    type: () => [ChildTaskViewDto],
    required: false,
    description: 'The tasks its steps spawned (GET /tasks/{id} only, when it has any)',
  })
  children?: ChildTaskViewDto[];
  @ApiProperty({
    required: false,
    description: 'The singleton key it was submitted with: no other unfinished task of its type has it',
  })
  singletonKey?: string;
  @ApiPropertyOptional({
    type: () => HeldBackDto,
    description: 'A pending task a cluster-wide limit of its type holds back (it starts when a slot frees)',
  })
  heldBack?: HeldBackView;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: () => TaskErrorDto, nullable: true }) error!: TaskErrorView | null;
  @ApiProperty({ type: () => TaskLinksDto }) links!: TaskLinks;
}

export class ResultFileDto implements ResultFileView {
  @ApiProperty({ example: 'archive.zip' }) name!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ example: 'application/zip' }) contentType!: string;
  @ApiProperty({ example: '/tasks/7d0c…/download' }) downloadUrl!: string;
  @ApiPropertyOptional({
    description: 'With `presignDownloads`: a time-limited URL reading the file straight from S3',
    example: 'https://bucket.s3.amazonaws.com/tasks/7d0c…/output/archive.zip?X-Amz-Signature=…',
  })
  presignedUrl?: string;
}

export class TaskResultDto implements TaskResultView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ enum: ['completed'] }) status!: 'completed';
  @ApiProperty({ description: "The task's output (any JSON)", nullable: true }) output!: unknown;
  @ApiPropertyOptional({ type: () => ResultFileDto }) file?: ResultFileView;
}

export class TaskListDto implements TaskListView {
  @ApiProperty({ type: () => [TaskViewDto] }) items!: TaskView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class TaskAuditEntryDto implements TaskAuditEntryView {
  @ApiProperty({ description: "Position in the task's log" }) seq!: number;
  @ApiProperty({ enum: enumOf(TASK_EVENT_TYPES), example: 'task.cancel_requested' }) event!: TaskEventType;
  @ApiProperty({ enum: enumOf(TASK_STATUSES) }) status!: TaskStatus;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiPropertyOptional() step?: string;
  @ApiPropertyOptional() stepStatus?: string;
  @ApiPropertyOptional() message?: string;
  @ApiPropertyOptional({
    example: 'alice',
    description: 'Who asked: the caller, `system` (application code) or `schedule:<name>`; absent for the engine',
  })
  actor?: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class TaskAuditDto implements TaskAuditView {
  @ApiProperty({ type: () => [TaskAuditEntryDto] }) items!: TaskAuditEntryView[];
  @ApiProperty({ type: Number, nullable: true, description: 'Pass as `after` for the next page' })
  nextAfter!: number | null;
}

export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ example: 404 }) statusCode!: number;
  @ApiProperty({ example: 'Not Found' }) error!: string;
  @ApiProperty({ example: 'Task 7d0c… not found' }) message!: string;
  @ApiPropertyOptional({ description: 'Invalid fields `[{ field, message }]`, or the current status on a 409' })
  details?: unknown;
}
