import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Finds a server binary on PATH (or PostgreSQL's versioned bin dir), or says clearly what to install. */
export function findBinary(name: string, hint: string): string {
  const found = lookUpBinary(name);
  if (!found) throw new Error(`The distributed suite needs "${name}" on PATH. ${hint}`);
  return found;
}

/** A binary on PATH (or in PostgreSQL's versioned bin dir), if there is one. */
export function lookUpBinary(name: string): string | undefined {
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
  return undefined;
}

export const isRoot = () => process.getuid?.() === 0;

/** Runs a command as the `postgres` user when we are root (initdb refuses root). */
export function runAsPostgres(command: string, args: string[]): string {
  const [bin, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return execFileSync(bin, argv, { stdio: 'pipe', encoding: 'utf8' });
}
