import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExampleTasksModule } from '@stepwise/examples';
import { TaskModule, type TaskModuleOptions } from '@stepwise/tasks';

/**
 * The example tasks in an in-process Nest app with these module options,
 * initialised (not listening). `beforeInit` may add middleware, which then
 * runs before Nest's routes.
 */
export async function startExampleApp(
  options: TaskModuleOptions,
  beforeInit?: (app: INestApplication) => void,
): Promise<INestApplication> {
  @Module({ imports: [TaskModule.forRoot(options), ExampleTasksModule] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  beforeInit?.(app);
  await app.init();
  return app;
}
