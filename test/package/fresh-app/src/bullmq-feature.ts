import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TaskModule } from '@stepwise/tasks';
import { GreetTask } from './app.module';

// Queues on the app's own @nestjs/bullmq, which this app lacks: the boot must say what to install.
@Module({
  imports: [
    TaskModule.forRoot({ mode: 'distributed', databaseUrl: 'postgres://127.0.0.1:1/none' }),
    TaskModule.forFeature([GreetTask], { bullmq: true }),
  ],
})
class BullFeatureModule {}

NestFactory.createApplicationContext(BullFeatureModule, { logger: ['error'], abortOnError: false }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
