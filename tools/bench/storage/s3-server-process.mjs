// The S3 server of the storage suite, in a process of its own (forked, IPC):
// the test harness's S3Server (moto, or s3rver where moto is not installed),
// without the harness's recording proxy. s3rver then runs in this process,
// its CPU its own rather than the orchestrator's; moto is a process anyway
// (its pid is the one reported), which this one only holds.
//
//   argv: <build dir> <bucket>
//   sends { ready: true, name, pid, env } once listening; { cmd: 'stop' } stops it and exits.
import { harness } from '../lib/harness.mjs';

const [build, bucket] = process.argv.slice(2);
if (!build || !bucket) throw new Error('usage: s3-server-process.mjs <build dir> <bucket>');
const { S3Server } = harness(build);
const server = await new S3Server(bucket, { proxy: false }).start();

let stopping;
const stop = () =>
  (stopping ??= server
    .stop()
    .catch(() => undefined)
    .finally(() => process.exit(0)));
process.on('message', (msg) => {
  if (msg?.cmd === 'stop') void stop();
});
// The orchestrator died: nothing may outlive it.
process.on('disconnect', () => void stop());
process.send({ ready: true, name: server.name, pid: server.pid, env: server.env });
