import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** One file the dashboard serves, with its validator. */
export interface DashboardAsset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Where the browser files sit: next to this module, in the sources and in both builds (they copy `assets/` as is). */
export const ASSETS_DIR = join(__dirname, 'assets');

/** A strong validator of the content: a quoted, URL-safe SHA-256 prefix. */
export function etagOf(body: Buffer | string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * The dashboard's browser files (`assets/*.js`, `assets/*.css`), read once:
 * a missing or unreadable file fails the boot, not a request.
 */
export class DashboardAssets {
  private constructor(private readonly files: ReadonlyMap<string, DashboardAsset>) {}

  static load(dir: string = ASSETS_DIR): DashboardAssets {
    const files = new Map<string, DashboardAsset>();
    for (const name of readdirSync(dir).sort()) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(join(dir, name));
      files.set(name, { body, type, etag: etagOf(body) });
    }
    if (files.size === 0) throw new Error(`Stepwise dashboard: no asset in ${dir}`);
    return new DashboardAssets(files);
  }

  get(name: string): DashboardAsset | undefined {
    return this.files.get(name);
  }
}
