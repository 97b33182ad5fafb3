import { Module } from '@nestjs/common';
import { SchedulesController } from './schedules.controller';

/** The REST API of cron schedules: list with next runs, add, pause, resume, remove. */
@Module({ controllers: [SchedulesController] })
export class SchedulesHttpModule {}
