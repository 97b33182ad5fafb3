import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TaskModule } from '@stepwise/tasks';

// Distributed mode without its optional packages installed: the boot must say what to install.
@Module({
  imports: [
    TaskModule.forRoot({
      mode: 'distributed',
      databaseUrl: 'postgres://127.0.0.1:1/none',
      redisUrl: 'redis://127.0.0.1:1',
    }),
  ],
})
class DistributedModule {}

NestFactory.create(DistributedModule, { logger: ['error'], abortOnError: false }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
