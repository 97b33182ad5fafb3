import { Module } from '@nestjs/common';
import { ExampleTasksModule } from '@stepwise/examples';
import { TaskModule, taskModuleOptionsFromEnv } from '@stepwise/tasks';

/** The API: REST (and, in embedded mode, the worker in-process), configured by the environment. */
@Module({
  imports: [TaskModule.forRootAsync({ useFactory: () => taskModuleOptionsFromEnv() }), ExampleTasksModule],
})
export class AppModule {}
