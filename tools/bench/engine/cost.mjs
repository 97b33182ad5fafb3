// Cost accounting of the engine suite: what a scenario costs per task or job,
// in CPU per process (PostgreSQL and Redis included), SQL statements
// (pg_stat_statements, when installed), PostgreSQL transactions and Redis commands.
import { readdirSync, readFileSync } from 'node:fs';
import { cpuMs, cpuOf } from '../lib/processes.mjs';
import { round, sleep } from '../lib/util.mjs';

/**
 * CPU time of the PostgreSQL server: the postmaster and its live children, plus the
 * children it has reaped (cutime + cstime), so a backend that exits does not go negative.
 */
function pgCpuMs(pgServer) {
  let total = 0;
  const postmaster = pgServer.pid;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cpu = cpuOf(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (Number(entry) === postmaster || cpu.ppid === postmaster) total += cpu.own;
      if (Number(entry) === postmaster) total += cpu.children;
    } catch {
      // gone
    }
  }
  return total;
}

/** Snapshots what a scenario costs: CPU per process, SQL statements, Redis commands. */
export class Meter {
  constructor(ctx) {
    this.ctx = ctx;
  }

  async start(pids) {
    this.pids = pids;
    this.cpu = this.readCpu();
    this.redis = await redisCommandStats(this.ctx.redis);
    this.xact = await xactCommit(this.ctx.pg);
    this.wal = await walBytes(this.ctx.pg);
    this.tuples = await tableWrites(this.ctx.pg);
    if (this.ctx.pgServer.statStatements) await this.ctx.pg.query('SELECT pg_stat_statements_reset()');
    this.polls = 0;
  }

  readCpu() {
    const cpu = { orchestrator: cpuMs(process.pid), redis: cpuMs(this.ctx.redisServer.pid) };
    cpu.postgres = pgCpuMs(this.ctx.pgServer);
    for (const [name, pid] of Object.entries(this.pids)) cpu[name] = cpuMs(pid);
    // A process gone meanwhile costs nothing more.
    for (const name of Object.keys(cpu)) cpu[name] ||= 0;
    return cpu;
  }

  /** Per-unit costs; call once the work is done (waits for PostgreSQL's stats to flush). */
  async stop(units) {
    const cpuAfter = this.readCpu();
    const cpu = {};
    for (const [name, value] of Object.entries(cpuAfter)) cpu[name] = round((value - this.cpu[name]) / units, 4);
    const redisAfter = await redisCommandStats(this.ctx.redis);
    const redisCommands = {};
    let redisTotal = 0;
    for (const [cmd, calls] of Object.entries(redisAfter)) {
      const delta = calls - (this.redis[cmd] ?? 0);
      if (delta > 0 && cmd !== 'info') {
        redisCommands[cmd] = round(delta / units, 2);
        redisTotal += delta;
      }
    }
    let statements = null;
    if (this.ctx.pgServer.statStatements) {
      const { rows } = await this.ctx.pg.query(
        `SELECT calls::int AS calls, rows::int AS rows, total_exec_time AS ms, query FROM pg_stat_statements
          WHERE query NOT LIKE '%bench-probe%' AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC`,
      );
      const total = rows.reduce((a, r) => a + r.calls, 0);
      statements = {
        perUnit: round(total / units, 2),
        serverExecMsPerUnit: round(rows.reduce((a, r) => a + r.ms, 0) / units, 4),
        top: rows.slice(0, 14).map((r) => ({
          perUnit: round(r.calls / units, 2),
          meanMs: round(r.ms / Math.max(1, r.calls), 4),
          query: r.query.replace(/\s+/g, ' ').slice(0, 160),
        })),
      };
    }
    // Backends flush their transaction counters at most once a second when idle.
    await sleep(1_500);
    // Minus the orchestrator's own transactions: polls, the stats reset and read, the snapshot clear.
    const own = this.polls + (this.ctx.pgServer.statStatements ? 2 : 0) + 1;
    const xact = (await xactCommit(this.ctx.pg)) - this.xact - own;
    const wal = (await walBytes(this.ctx.pg)) - this.wal;
    const tuplesAfter = await tableWrites(this.ctx.pg);
    const tableWritesPerUnit = {};
    for (const [table, after] of Object.entries(tuplesAfter)) {
      const before = this.tuples[table] ?? { ins: 0, upd: 0, hot: 0, del: 0 };
      const delta = Object.fromEntries(
        Object.entries(after).map(([k, v]) => [k, round((v - (before[k] ?? 0)) / units, 2)]),
      );
      if (delta.ins || delta.upd || delta.del) tableWritesPerUnit[table] = delta;
    }
    return {
      units,
      cpuMsPerUnit: cpu,
      cpuMsPerUnitTotal: round(
        Object.values(cpu).reduce((a, b) => a + b, 0),
        4,
      ),
      sqlStatements: statements,
      transactionsPerUnit: round(xact / units, 2),
      // Bytes of write-ahead log per task: PostgreSQL's write work (heap and index tuples), steadier than CPU time.
      walBytesPerUnit: round(wal / units, 0),
      // Rows inserted, updated (of which HOT: no index touched), deleted per task, by table.
      tableWritesPerUnit,
      redisCommandsPerUnit: round(redisTotal / units, 2),
      redisCommands,
    };
  }
}

async function redisCommandStats(redis) {
  const info = await redis.info('commandstats');
  const stats = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) stats[m[1]] = Number(m[2]);
  }
  return stats;
}

async function walBytes(pgClient) {
  const { rows } = await pgClient.query(
    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS b /* bench-probe */",
  );
  return Number(rows[0].b);
}

/** Cumulative row writes by table (the stats of every database the bench's client sees: its own). */
async function tableWrites(pgClient) {
  await pgClient.query('SELECT pg_stat_clear_snapshot() /* bench-probe */');
  const { rows } = await pgClient.query(
    `SELECT relname, n_tup_ins::bigint AS ins, n_tup_upd::bigint AS upd, n_tup_hot_upd::bigint AS hot, n_tup_del::bigint AS del
       FROM pg_stat_user_tables /* bench-probe */`,
  );
  return Object.fromEntries(
    rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot), del: Number(r.del) }]),
  );
}

async function xactCommit(pgClient) {
  await pgClient.query('SELECT pg_stat_clear_snapshot() /* bench-probe */');
  const { rows } = await pgClient.query('SELECT sum(xact_commit)::bigint AS n FROM pg_stat_database /* bench-probe */');
  return Number(rows[0].n);
}
