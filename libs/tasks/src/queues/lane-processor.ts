import { Inject, type Type } from '@nestjs/common';
import { getQueueToken, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import type { BullMqLane, LaneJob } from '../adapters/bullmq/host-bullmq-task-queue';

const ignore = () => undefined;

/**
 * A lane's `WorkerHost`: `@nestjs/bullmq` creates its worker from the queue's
 * options, with autorun off so that no job arrives before the engine has
 * started; Stepwise's queue port starts it and takes its jobs.
 */
export abstract class LaneProcessor extends WorkerHost implements BullMqLane {
  handler?: (job: Job<LaneJob>) => Promise<unknown>;

  protected constructor(
    readonly name: string,
    readonly queue: Queue,
  ) {
    super();
    // BullMQ prints an unheard 'error' event at every reconnect attempt; an outage is recovered from the store.
    queue.on('error', ignore);
  }

  async process(job: Job<LaneJob>): Promise<unknown> {
    if (!this.handler) throw new Error(`Stepwise: queue ${this.name} is not consumed in this process`);
    return this.handler(job);
  }

  /** As for the queue: BullMQ reports an outage as an 'error' event, and reconnects by itself. */
  @OnWorkerEvent('error')
  onWorkerError(): void {}
}

/**
 * The `@Processor()` class of one lane, made when the module is defined
 * (the decorator needs the queue name then). Its worker never fetches until
 * the engine starts it; a stalled job is not retried (the store recovers it).
 */
export function laneProcessor(lane: string): Type<LaneProcessor> {
  @Processor(lane, { autorun: false, maxStalledCount: 0 })
  class StepwiseLaneProcessor extends LaneProcessor {
    constructor(@Inject(getQueueToken(lane)) queue: Queue) {
      super(lane, queue);
    }
  }
  Object.defineProperty(StepwiseLaneProcessor, 'name', { value: `StepwiseProcessor(${lane})` });
  return StepwiseLaneProcessor;
}
