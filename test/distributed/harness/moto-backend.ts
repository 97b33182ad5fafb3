import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../support/api-process';
import type { S3Backend } from './s3-server';

/** How long moto may take to answer once spawned (it imports all of its services, ~1.5 s when idle). */
const START_TIMEOUT_MS = 30_000;

/**
 * moto (`moto_server`, a Python package) on a free loopback port: the S3 API
 * with multipart uploads, `ListParts`, `ListMultipartUploads` and paged
 * listings as S3 has them, in memory, in a process of its own.
 */
export async function startMoto(bin: string): Promise<S3Backend> {
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  // It logs every request on stderr: keep the end only, for an error message.
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  // Nothing of a test run may outlive it, even a run that ends without `stop()`.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async () => {
    process.off('exit', kill);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode}):\n${tail}`);
    }
    const answered = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }).then(
      async (res) => (await res.arrayBuffer(), res.ok),
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on port ${port} within ${START_TIMEOUT_MS} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: 'moto',
    port,
    pid: child.pid!,
    stop,
  };
}
