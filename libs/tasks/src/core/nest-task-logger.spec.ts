import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConsoleLogger, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Logger as PinoNestLogger, LoggerModule } from 'nestjs-pino';
import { Step, Task, type StepContext } from '../definition';
import { TaskModule } from '../task.module';
import { TaskSubmitter } from './task-submitter';

@Task({ name: 'chatty' })
class ChattyTask {
  @Step({ order: 1 })
  render(ctx: StepContext) {
    ctx.logger.log('rendering page');
    ctx.logger.warn('font missing');
    return { ok: true };
  }
}

/** An app with ChattyTask whose logger is set by `useLogger`. */
async function appWith(imports: unknown[], logger: (app: INestApplication) => void): Promise<INestApplication> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-logs-'));
  @Module({ imports: [...(imports as []), TaskModule.forRoot({ dataDir, dashboard: false })], providers: [ChattyTask] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  logger(app);
  await app.init();
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return app;
}

async function runChatty(app: INestApplication) {
  const handle = await app.get(TaskSubmitter).submit(ChattyTask, {}, { owner: 'alice' });
  expect((await handle.done()).status).toBe('completed');
  return handle.id;
}

describe("a step's ctx.logger", () => {
  it('writes the task id, type, owner, step and attempt as fields of each JSON line with nestjs-pino', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = await appWith([LoggerModule.forRoot({ pinoHttp: { stream } })], (nest) =>
      nest.useLogger(nest.get(PinoNestLogger)),
    );
    try {
      const id = await runChatty(app);
      const fields = {
        taskId: id,
        taskType: 'chatty',
        owner: 'alice',
        step: 'render',
        attempt: 1,
        context: 'Stepwise',
      };
      expect(lines.find((line) => line.msg === 'rendering page')).toMatchObject({ level: 30, ...fields });
      expect(lines.find((line) => line.msg === 'font missing')).toMatchObject({ level: 40, ...fields });
    } finally {
      await app.close();
    }
  });

  it("writes them at the start of the message with Nest's console logger", async () => {
    const written: Array<[string, unknown]> = [];
    class RecordingConsole extends ConsoleLogger {
      override log(message: unknown, context?: unknown) {
        written.push([String(message), context]);
      }
      override warn(message: unknown, context?: unknown) {
        written.push([`WARN ${String(message)}`, context]);
      }
    }
    const app = await appWith([], (nest) => nest.useLogger(new RecordingConsole()));
    try {
      const id = await runChatty(app);
      expect(written).toContainEqual([`task ${id} (chatty, owner alice) step render #1: rendering page`, 'Stepwise']);
      expect(written).toContainEqual([
        `WARN task ${id} (chatty, owner alice) step render #1: font missing`,
        'Stepwise',
      ]);
    } finally {
      await app.close();
    }
  });
});
