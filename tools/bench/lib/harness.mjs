// The test harness's servers (test/distributed/harness: PostgreSQL, Redis,
// S3), which build.mjs compiles into the benchmark's build: the benchmarks
// start them exactly as the tests do.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildDir } from '../build.mjs';

const require = createRequire(import.meta.url);

/** { PostgresServer, RedisServer, S3Server, freePort } from the build in `dir`. */
export function harness(dir = buildDir) {
  const file = (path) => {
    const compiled = join(dir, 'test', path);
    if (!existsSync(compiled)) throw new Error(`${compiled} is missing: build first (node tools/bench/build.mjs)`);
    return require(compiled);
  };
  return {
    ...file('distributed/harness/postgres-server.js'),
    ...file('distributed/harness/redis-server.js'),
    ...file('distributed/harness/s3-server.js'),
    ...file('support/api-process.js'),
  };
}
