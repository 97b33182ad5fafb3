// `npm run apikey -- <command>`: the API key administration of the apps
// (apps/api/src/apikey.ts), from the build in dist/, built first when there
// is none. After changing the code, `npm run build` refreshes it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, root } from './build.mjs';

const cli = join(root, 'dist/apps/api/src/apikey.js');
if (!existsSync(cli)) build();
const { status, signal } = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(status ?? (signal ? 1 : 0));
