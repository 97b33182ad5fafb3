import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../lib/processes.mjs';
import { BUCKET } from './settings.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The S3 server (s3-server-process.mjs): { name, pid, env (the apps' S3_* variables), stop() }. */
export async function startS3Server(build) {
  const child = Child.fork(
    'S3 server',
    join(here, 's3-server-process.mjs'),
    [build, BUCKET],
    {},
    { timeoutMs: 60_000 },
  );
  const { name, pid, env } = await child.wait((m) => m.ready);
  return { name, pid, env, stop: () => child.stop(10_000) };
}
