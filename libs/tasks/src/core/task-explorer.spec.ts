import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OnTaskEvent, Step, Task } from '../definition';
import { NonRetryableError, TaskEngine } from '../engine';
import type { TaskEvent, TaskRecord } from '../model';
import { TaskModule } from '../task.module';

@Task({ name: 'made-by-factory' })
class FactoryMadeTask {
  constructor(readonly greeting: string) {}

  @Step({ order: 1 })
  greet() {
    return this.greeting;
  }
}

@Task({ name: 'broken' })
class BrokenTask {
  @Step({ order: 1 })
  fail() {
    throw new NonRetryableError('broken');
  }
}

@Injectable()
class Hooks {
  readonly seen: string[] = [];

  @OnTaskEvent(['completed', 'failed'])
  onEnd(event: TaskEvent, task: TaskRecord) {
    this.seen.push(`${event.type} ${task.type} ${task.status}`);
  }

  @OnTaskEvent('completed', { type: 'broken' })
  onlyBroken(event: TaskEvent) {
    this.seen.push(`broken-only ${event.type}`);
  }

  @OnTaskEvent('created')
  faulty() {
    throw new Error('a hook that throws changes nothing');
  }
}

describe('TaskExplorer', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-explorer-'));
  let app: INestApplicationContext;

  beforeAll(async () => {
    @Module({
      imports: [TaskModule.forRoot({ dataDir })],
      providers: [
        { provide: 'GREETER', useFactory: () => new FactoryMadeTask('hello') },
        { provide: BrokenTask, useValue: new BrokenTask() },
        Hooks,
      ],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function finished(engine: TaskEngine, id: string): Promise<TaskRecord> {
    for (let i = 0; i < 200; i++) {
      const task = await engine.get(id, 'me');
      if (['completed', 'failed', 'cancelled'].includes(task.status)) return task;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`task ${id} did not finish`);
  }

  it('finds @Task providers made by useFactory or useValue, and calls @OnTaskEvent hooks once per event', async () => {
    const engine = app.get(TaskEngine);
    const made = await engine.submit({ type: 'made-by-factory', input: {}, owner: 'me' });
    const broken = await engine.submit({ type: 'broken', input: {}, owner: 'me' });
    expect((await finished(engine, made.task.id)).output).toBe('hello');
    expect((await finished(engine, broken.task.id)).status).toBe('failed');
    const hooks = app.get(Hooks);
    // Hooks run off the task's path: wait for them, bounded.
    for (let i = 0; i < 100 && hooks.seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect([...hooks.seen].sort()).toEqual(['task.completed made-by-factory completed', 'task.failed broken failed']);
  });
});
