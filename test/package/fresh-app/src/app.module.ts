import { Module } from '@nestjs/common';
import { Step, Task, TaskModule, type StepContext } from '@stepwise/tasks';

/** A task as a user writes it: the fixture of the package-install test. */
@Task({ name: 'greet' })
export class GreetTask {
  @Step({ order: 1 })
  greet(ctx: StepContext) {
    return { greeting: `hello from ${ctx.taskId}` };
  }
}

@Module({ imports: [TaskModule.forRoot({ dataDir: process.env.DATA_DIR })], providers: [GreetTask] })
export class AppModule {}
