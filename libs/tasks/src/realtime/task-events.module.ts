import { Module } from '@nestjs/common';
import { SseStreams, TaskEventsController } from './task-events.controller';
import { TaskEventsGateway } from './task-events.gateway';

/** Live task events: the Socket.IO gateway (namespace `/tasks`) and the SSE stream `GET /tasks/{id}/events`. */
@Module({
  controllers: [TaskEventsController],
  providers: [TaskEventsGateway, SseStreams],
})
export class TaskEventsModule {}
