import { chownSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/api-process';
import { findBinary, isRoot, runAsPostgres } from './binaries';

const HINT = 'Install PostgreSQL (Debian: apt-get install -y postgresql).';

export interface PostgresOptions {
  /** Off by default: throwaway data needs no durability (the benchmark may ask for it). */
  fsync?: boolean;
  /** Loads pg_stat_statements where the extension is installed (the benchmark counts statements). */
  statStatements?: boolean;
}

/** A throwaway PostgreSQL cluster in a temp dir on a free loopback port. */
export class PostgresServer {
  private dir = '';
  port = 0;
  /** Whether pg_stat_statements is loaded. */
  statStatements = false;

  constructor(private readonly options: PostgresOptions = {}) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** The postmaster's process id, while it runs. */
  get pid(): number {
    return Number(readFileSync(join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  async start(): Promise<this> {
    const initdb = findBinary('initdb', HINT);
    findBinary('pg_ctl', HINT);
    this.dir = mkdtempSync(join(tmpdir(), 'stepwise-pg-'));
    if (isRoot()) chownSync(this.dir, uid('postgres'), gid('postgres'));
    this.port = await freePort();
    runAsPostgres(initdb, ['-D', this.dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    const lib = join(realpathSync(initdb), '..', '..', 'lib', 'pg_stat_statements.so');
    this.statStatements = Boolean(this.options.statStatements) && existsSync(lib);
    this.startServer();
    return this;
  }

  /** Stops the server (fast shutdown), keeping its data: `start` it again to bring it back. */
  stopServer(): void {
    this.ctl('stop', ['-m', 'fast', '-w']);
  }

  startServer(): void {
    const settings = [
      `-p ${this.port}`,
      '-k /tmp',
      '-c listen_addresses=127.0.0.1',
      `-c fsync=${this.options.fsync ? 'on' : 'off'}`,
      '-c track_activity_query_size=16384',
      ...(this.statStatements
        ? ['-c shared_preload_libraries=pg_stat_statements', '-c pg_stat_statements.track=all']
        : []),
    ];
    this.ctl('start', ['-w', '-o', settings.join(' ')]);
  }

  async stop(): Promise<void> {
    if (!this.dir) return;
    try {
      this.ctl('stop', ['-m', 'immediate', '-w']);
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }

  private ctl(action: string, args: string[]): void {
    runAsPostgres(findBinary('pg_ctl', HINT), ['-D', this.dir, '-l', join(this.dir, 'server.log'), action, ...args]);
  }
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
