import { HOSTILE_ENV, describeHostileBarrage } from '../support/hostile/barrage';
import { Cluster } from './harness/cluster';

/**
 * The hostile-input barrage of test/e2e/hostile-input.spec.ts (one table,
 * test/support/hostile/) against the built api in distributed mode: a real
 * PostgreSQL and Redis started by the harness, the api and a worker as child
 * processes. PostgreSQL refuses what SQLite lets pass (NUL characters,
 * out-of-range numbers, malformed text for typed columns): none of it may
 * come back as a 5xx, kill a process, hang, or leave a file behind.
 */
describe('hostile input against the api in distributed mode (PostgreSQL + Redis)', () => {
  const cluster = new Cluster({ env: { ...HOSTILE_ENV } });

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(() => cluster.stop(), 60_000);

  describeHostileBarrage(() => ({
    port: cluster.apiPort,
    dataDir: cluster.dataDir,
    idleTimeoutMs: Number(HOSTILE_ENV.HTTP_IDLE_TIMEOUT_MS),
    alive: () => cluster.deadProcesses().length === 0,
    output: () => Cluster.lines(cluster.api).join('\n'),
  }));
});
