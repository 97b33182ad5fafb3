// The Stepwise engine scenarios: C (TaskEngine.submit, 50 in flight, to
// completion), C2 (TaskEngine.submitMany batches), D (pickup, one submit at a
// time) and the profile of D's pickup, between a submitter (role api) and a
// worker, both stepwise-app.cjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDir } from '../build.mjs';
import { Child } from '../lib/processes.mjs';
import { round, sleep, summary } from '../lib/util.mjs';
import { Meter } from './cost.mjs';
import {
  BATCH,
  CONCURRENCY,
  GAP_MS,
  IN_FLIGHT,
  latencies,
  measureThroughput,
  N,
  pickupOf,
  waitFinished,
} from './common.mjs';
import { phaseBreakdown } from './profile.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function stepwiseEnv(ctx, role, extra = {}) {
  return {
    BENCH_ROLE: role,
    BENCH_BUILD_DIR: buildDir,
    BENCH_CONCURRENCY: String(CONCURRENCY),
    DATABASE_URL: ctx.pgServer.url,
    REDIS_URL: ctx.redisServer.url,
    DATA_DIR: ctx.dataDir,
    ...extra,
  };
}

export async function startStepwise(ctx, name, role, extra) {
  const child = Child.fork(name, join(here, '..', 'stepwise-app.cjs'), [], stepwiseEnv(ctx, role, extra));
  await child.wait((m) => m.ready, 60_000);
  return child;
}

export async function engineScenarios(ctx, worker) {
  const submitter = await startStepwise(ctx, 'stepwise submitter (role api)', 'api');
  try {
    // Warm-up: JIT, pools, BullMQ scripts loaded.
    await submitter.ask({ cmd: 'submit', n: N.warmup, inflight: IN_FLIGHT, owner: 'warmup' }, 120_000);
    await waitFinished(ctx, null, 'warmup', N.warmup, 120_000);
    await worker.ask({ cmd: 'collect' });

    // C: throughput, TaskEngine.submit with 50 in flight.
    const n = N.engineThroughput;
    const throughput = await measureThroughput(
      ctx,
      { worker: worker.proc.pid, submitter: submitter.proc.pid },
      n,
      () => submitter.ask({ cmd: 'submit', n, inflight: IN_FLIGHT, owner: 'engine-throughput' }, 300_000),
      (meter) => waitFinished(ctx, meter, 'engine-throughput', n, 300_000),
      async (sub) => ({
        submitSeconds: round((sub.t1 - sub.t0) / 1000),
        submitCallMs: summary(sub.submitMs),
        pickupUnderLoadMs: summary(latencies((await worker.ask({ cmd: 'collect' })).starts)),
      }),
    );

    // C2: throughput, TaskEngine.submitMany batches of 1,000, one after the other (as pg-boss insert(), graphile addJobs()).
    await sleep(500);
    await submitter.ask({ cmd: 'submitMany', n: 1_000, batch: BATCH, owner: 'batch-warmup' }, 120_000);
    await waitFinished(ctx, null, 'batch-warmup', 1_000, 120_000);
    const nb = N.engineBatch;
    const batch = await measureThroughput(
      ctx,
      { worker: worker.proc.pid, submitter: submitter.proc.pid },
      nb,
      () => submitter.ask({ cmd: 'submitMany', n: nb, batch: BATCH, owner: 'engine-batch' }, 300_000),
      (meter) => waitFinished(ctx, meter, 'engine-batch', nb, 300_000),
      async (sub) => {
        await worker.ask({ cmd: 'collect' });
        return { batch: BATCH, submitSeconds: round((sub.t1 - sub.t0) / 1000) };
      },
    );

    // D: pickup, one submit at a time.
    await sleep(500);
    const latMeter = new Meter(ctx);
    await latMeter.start({ worker: worker.proc.pid, submitter: submitter.proc.pid });
    const nl = N.engineLatency;
    const lat = await submitter.ask(
      { cmd: 'submit', n: nl, inflight: 1, owner: 'engine-latency', gapMs: GAP_MS },
      300_000,
    );
    await waitFinished(ctx, latMeter, 'engine-latency', nl, 60_000);
    const latCost = await latMeter.stop(nl);
    const { starts } = await worker.ask({ cmd: 'collect' });
    const pickup = pickupOf(starts, 'fromSubmitCallMs', { submitCallMs: summary(lat.submitMs), cost: latCost });

    // Where the pickup time goes: every port call timed, one submit at a time.
    await sleep(300);
    await submitter.ask({ cmd: 'profile', on: true });
    await worker.ask({ cmd: 'profile', on: true });
    await submitter.ask({ cmd: 'submit', n: N.profile, inflight: 1, owner: 'engine-profile', gapMs: GAP_MS }, 300_000);
    await waitFinished(ctx, null, 'engine-profile', N.profile, 60_000);
    const { trace: subTrace } = await submitter.ask({ cmd: 'trace' });
    const { trace: workTrace } = await worker.ask({ cmd: 'trace' });
    await submitter.ask({ cmd: 'profile', on: false });
    await worker.ask({ cmd: 'profile', on: false });
    await worker.ask({ cmd: 'collect' });
    const profile = phaseBreakdown(subTrace, workTrace);
    return { throughput, batch, pickup, profile };
  } finally {
    await submitter.stop();
  }
}
