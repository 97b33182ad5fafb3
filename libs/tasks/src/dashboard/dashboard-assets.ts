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

/** The entry module of the page's script; it imports the others. */
export const ENTRY_SCRIPT = 'dashboard.js';
export const STYLESHEET = 'dashboard.css';

/**
 * Same origin only: no inline script or style, no plugin, no framing. The
 * page's own scripts, stylesheet and the Socket.IO client (served by Socket.IO
 * under its path) are `'self'`; so are its fetches and its WebSocket
 * (`connect-src 'self'` covers `ws:`/`wss:` to the same host in CSP 3).
 * `img-src data:` is for the SVG favicon. The page's JSON data block is not
 * a script: the CSP has nothing to allow for it.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The page names the current version of its files, so it is revalidated on
 * every load (an upgrade is never half-applied); the files live at URLs that
 * change with their content, so a browser keeps them for a year without asking.
 */
export const PAGE_CACHE_CONTROL = 'no-cache';
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** A strong validator of the content: a quoted, URL-safe SHA-256 prefix. */
export function etagOf(body: Buffer | string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** Every header of a dashboard answer but the body's length: the CSP and its companions, caching, the validator. */
export function dashboardHeaders(asset: DashboardAsset, cacheControl: string): Record<string, string> {
  return {
    'Content-Type': asset.type,
    'Content-Security-Policy': DASHBOARD_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': cacheControl,
    ETag: asset.etag,
  };
}

/**
 * The dashboard's browser files (`assets/*.js`, `assets/*.css`), read once:
 * a missing or unreadable file fails the boot, not a request. They are served
 * under `version`, a hash of them all, so that one module's relative imports
 * of another always meet the same release.
 */
export class DashboardAssets {
  private constructor(
    private readonly files: ReadonlyMap<string, DashboardAsset>,
    /** Hex prefix of the SHA-256 of every file's name and content. */
    readonly version: string,
  ) {}

  static load(dir: string = ASSETS_DIR): DashboardAssets {
    const files = new Map<string, DashboardAsset>();
    const hash = createHash('sha256');
    for (const name of readdirSync(dir).sort()) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(join(dir, name));
      files.set(name, { body, type, etag: etagOf(body) });
      hash.update(`${name}\0${body.length}\0`).update(body);
    }
    for (const required of [ENTRY_SCRIPT, STYLESHEET]) {
      if (!files.has(required)) throw new Error(`Stepwise dashboard: ${join(dir, required)} is missing`);
    }
    return new DashboardAssets(files, hash.digest('hex').slice(0, 16));
  }

  get(name: string): DashboardAsset | undefined {
    return this.files.get(name);
  }

  /** The script modules, entry first: the page preloads them all. */
  scripts(): string[] {
    const others = [...this.files.keys()].filter((name) => name.endsWith('.js') && name !== ENTRY_SCRIPT);
    return [ENTRY_SCRIPT, ...others];
  }
}
