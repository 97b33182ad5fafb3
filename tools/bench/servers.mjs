// Throwaway Redis and PostgreSQL on free loopback ports, the same way as
// test/distributed/harness/{redis,postgres}-server.ts (which are TypeScript
// and not part of the build). PostgreSQL additionally loads
// pg_stat_statements when the extension is installed, to count statements.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

function findBinary(name, hint) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  const pgRoot = '/usr/lib/postgresql';
  if (existsSync(pgRoot)) {
    for (const version of readdirSync(pgRoot).sort().reverse()) {
      const candidate = join(pgRoot, version, 'bin', name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error(`The benchmark needs "${name}". ${hint}`);
}

const isRoot = () => process.getuid?.() === 0;

function runAsPostgres(command, args) {
  const [bin, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return execFileSync(bin, argv, { stdio: 'pipe', encoding: 'utf8' });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class RedisServer {
  port = 0;
  child = undefined;

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    const bin = findBinary('redis-server', 'Install Redis (Debian: apt-get install -y redis-server).');
    this.port = await freePort();
    this.child = spawn(bin, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await accepts(this.port)) return this;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

const PG_HINT = 'Install PostgreSQL (Debian: apt-get install -y postgresql).';

export class PostgresServer {
  dir = '';
  port = 0;
  statStatements = false;

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** fsync off like the test harness, unless BENCH_PG_FSYNC=on. */
  async start({ fsync = false } = {}) {
    const initdb = findBinary('initdb', PG_HINT);
    this.pgCtl = findBinary('pg_ctl', PG_HINT);
    this.dir = mkdtempSync(join(tmpdir(), 'stepwise-bench-pg-'));
    if (isRoot()) chownSync(this.dir, uid('postgres'), gid('postgres'));
    this.port = await freePort();
    runAsPostgres(initdb, ['-D', this.dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    const lib = join(realpathSync(initdb), '..', '..', 'lib', 'pg_stat_statements.so');
    this.statStatements = existsSync(lib);
    const opts = [
      `-p ${this.port}`,
      '-k /tmp',
      '-c listen_addresses=127.0.0.1',
      `-c fsync=${fsync ? 'on' : 'off'}`,
      ...(this.statStatements
        ? ['-c shared_preload_libraries=pg_stat_statements', '-c pg_stat_statements.track=all']
        : []),
    ];
    runAsPostgres(this.pgCtl, [
      '-D',
      this.dir,
      '-l',
      join(this.dir, 'server.log'),
      'start',
      '-w',
      '-o',
      opts.join(' '),
    ]);
    return this;
  }

  async stop() {
    if (!this.dir) return;
    try {
      runAsPostgres(this.pgCtl, ['-D', this.dir, '-l', join(this.dir, 'server.log'), 'stop', '-m', 'immediate', '-w']);
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}

function uid(user) {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gid(user) {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
