import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/api-process';
import { findBinary, isRoot, runAsPostgres } from './binaries';

const HINT = 'Install PostgreSQL (Debian: apt-get install -y postgresql).';

/** A throwaway PostgreSQL cluster in a temp dir on a free loopback port. */
export class PostgresServer {
  private dir = '';
  port = 0;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<this> {
    const initdb = findBinary('initdb', HINT);
    findBinary('pg_ctl', HINT);
    this.dir = mkdtempSync(join(tmpdir(), 'stepwise-pg-'));
    if (isRoot()) chownSync(this.dir, uid('postgres'), gid('postgres'));
    this.port = await freePort();
    runAsPostgres(initdb, ['-D', this.dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    this.ctl('start', [
      '-w',
      '-o',
      `-p ${this.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c track_activity_query_size=16384`,
    ]);
    return this;
  }

  /** Stops the server (fast shutdown), keeping its data: `start` it again to bring it back. */
  stopServer(): void {
    this.ctl('stop', ['-m', 'fast', '-w']);
  }

  startServer(): void {
    this.ctl('start', [
      '-w',
      '-o',
      `-p ${this.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c track_activity_query_size=16384`,
    ]);
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
