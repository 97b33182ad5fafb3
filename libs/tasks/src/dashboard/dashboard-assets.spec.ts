import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ASSET_CACHE_CONTROL,
  ASSETS_DIR,
  DASHBOARD_CSP,
  DashboardAssets,
  PAGE_CACHE_CONTROL,
  dashboardHeaders,
} from './dashboard-assets';

describe('dashboard assets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepwise-assets-'));
    writeFileSync(join(dir, 'dashboard.js'), "import './other.js';\n");
    writeFileSync(join(dir, 'other.js'), 'export {};\n');
    writeFileSync(join(dir, 'dashboard.css'), 'body { margin: 0; }\n');
    writeFileSync(join(dir, 'notes.txt'), 'not served');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the scripts and stylesheets once, with their types; nothing else', () => {
    const assets = DashboardAssets.load(dir);
    expect(assets.get('dashboard.js')?.type).toBe('text/javascript; charset=utf-8');
    expect(assets.get('dashboard.css')?.type).toBe('text/css; charset=utf-8');
    expect(assets.get('notes.txt')).toBeUndefined();
    expect(assets.scripts()).toEqual(['dashboard.js', 'other.js']);
    // Read at load: a later change on disk is not served until the next start.
    writeFileSync(join(dir, 'other.js'), 'export const changed = 1;\n');
    expect(assets.get('other.js')?.body.toString()).toBe('export {};\n');
  });

  it("versions the release by every file's content: one changed byte, another version", () => {
    const before = DashboardAssets.load(dir);
    expect(before.version).toMatch(/^[0-9a-f]{16}$/);
    expect(DashboardAssets.load(dir).version).toBe(before.version);
    writeFileSync(join(dir, 'other.js'), 'export {} ;\n');
    const after = DashboardAssets.load(dir);
    expect(after.version).not.toBe(before.version);
    expect(after.get('other.js')!.etag).not.toBe(before.get('other.js')!.etag);
    expect(after.get('dashboard.js')!.etag).toBe(before.get('dashboard.js')!.etag);
  });

  it('fails at load, naming the file, when the entry script or the stylesheet is missing', () => {
    rmSync(join(dir, 'dashboard.css'));
    expect(() => DashboardAssets.load(dir)).toThrow(/dashboard\.css is missing/);
  });

  it('caches a versioned file for a year, immutable, and has the page revalidated every time', () => {
    const asset = DashboardAssets.load(dir).get('dashboard.js')!;
    const file = dashboardHeaders(asset, ASSET_CACHE_CONTROL);
    expect(file['Cache-Control']).toBe('public, max-age=31536000, immutable');
    expect(file.ETag).toBe(asset.etag);
    expect(file.ETag).toMatch(/^"[\w-]{27}"$/);
    expect(file['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(file['Content-Security-Policy']).toBe(DASHBOARD_CSP);
    expect(file['X-Content-Type-Options']).toBe('nosniff');
    expect(dashboardHeaders(asset, PAGE_CACHE_CONTROL)['Cache-Control']).toBe('no-cache');
  });

  it('ships its files next to the module', () => {
    const shipped = DashboardAssets.load(ASSETS_DIR);
    expect(shipped.scripts()[0]).toBe('dashboard.js');
    expect(shipped.scripts()).toEqual(
      expect.arrayContaining([
        'config.js',
        'dom.js',
        'forms.js',
        'http.js',
        'notices.js',
        'schema-form.js',
        'stats.js',
        'tasks.js',
      ]),
    );
  });
});
