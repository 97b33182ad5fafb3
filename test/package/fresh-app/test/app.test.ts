import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { TaskEngine } from '@stepwise/tasks';

process.env.DATA_DIR = mkdtempSync(join(tmpdir(), 'stepwise-fresh-app-'));

it('boots the module and runs a task through the engine', async () => {
  const { AppModule } = await import('../src/app.module');
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.init();
  try {
    const engine = app.get(TaskEngine);
    const { task } = await engine.submit({ type: 'greet', input: {}, owner: 'me' });
    let status = task.status;
    for (let i = 0; i < 200 && status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = (await engine.get(task.id, 'me')).status;
    }
    expect(await engine.get(task.id, 'me')).toMatchObject({
      status: 'completed',
      output: { greeting: `hello from ${task.id}` },
    });
  } finally {
    await app.close();
  }
});
