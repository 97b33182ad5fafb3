// The processes a benchmark starts: forked children speaking over IPC (Child),
// apps of the build (App), and what they cost (cpuMs). Every one of them is
// killed when the orchestrator exits, however it exits.
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { sleep } from './util.mjs';

const live = new Set();
process.on('exit', () => {
  for (const proc of live) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
});

function track(proc, output) {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  proc.stdout?.on('data', (d) => output.push(String(d)));
  proc.stderr?.on('data', (d) => output.push(String(d)));
}

const exited = (proc) => proc.exitCode !== null || proc.signalCode !== null;

/** SIGKILL if it has not exited within `graceMs` of `ask` (a signal or an IPC message). */
async function stopProcess(proc, ask, graceMs) {
  if (exited(proc)) return;
  const gone = once(proc, 'exit');
  ask();
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** A forked child speaking request/answer over IPC, one request at a time. */
export class Child {
  /** `timeoutMs`: how long `wait` and `ask` wait by default. */
  static fork(name, script, args = [], env = {}, { timeoutMs = 120_000 } = {}) {
    // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it exits (open in Chrome DevTools).
    const cpuProfile = process.env.BENCH_CPU_PROF;
    const execArgv = cpuProfile
      ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfile}`, `--cpu-prof-name=${name.replace(/\W+/g, '-')}.cpuprofile`]
      : [];
    const proc = fork(script, args, {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new Child(name, proc, timeoutMs);
  }

  constructor(name, proc, timeoutMs) {
    this.name = name;
    this.proc = proc;
    this.timeoutMs = timeoutMs;
    this.output = [];
    this.inbox = [];
    this.waiters = [];
    track(proc, this.output);
    proc.on('message', (msg) => {
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) this.waiters.splice(i, 1)[0].settle(null, msg);
      else this.inbox.push(msg);
    });
    proc.on('exit', (code, signal) => {
      for (const w of this.waiters.splice(0))
        w.settle(new Error(`${name} exited (${code ?? signal}):\n${this.tail()}`));
    });
  }

  get alive() {
    return !exited(this.proc);
  }

  tail() {
    return this.output.join('').split('\n').slice(-30).join('\n');
  }

  wait(match, timeoutMs = this.timeoutMs) {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (!this.alive) return Promise.reject(new Error(`${this.name} has exited:\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        settle: (error, msg) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(msg);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async ask(msg, timeoutMs) {
    this.proc.send(msg);
    const answer = await this.wait((m) => 'ok' in m, timeoutMs);
    if (!answer.ok) throw new Error(`${this.name}: ${answer.error}`);
    return answer;
  }

  /** Asks the child to close; SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs = 15_000) {
    return stopProcess(
      this.proc,
      () => {
        try {
          this.proc.send({ cmd: 'stop' });
        } catch {
          this.proc.kill('SIGKILL'); // IPC already closed
        }
      },
      graceMs,
    );
  }

  kill() {
    if (this.alive) this.proc.kill('SIGKILL');
  }
}

/** An app of the build, spawned (stdout/stderr kept), stopped with SIGTERM then SIGKILL. */
export class App {
  constructor(name, entry, env, nodeArgs = []) {
    this.name = name;
    this.output = [];
    this.proc = spawn(process.execPath, [...nodeArgs, entry], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(this.proc, this.output);
  }

  get pid() {
    return this.proc.pid;
  }

  tail(lines = 40) {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  async ready(check, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited early:\n${this.tail()}`);
      if (await check(this).catch(() => false)) return this;
      await sleep(100);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** At once (the cleanup after a failure): nothing of the run needs a graceful end then. */
  async kill() {
    if (exited(this.proc)) return;
    const gone = once(this.proc, 'exit');
    this.proc.kill('SIGKILL');
    await gone;
  }

  stop() {
    return stopProcess(this.proc, () => this.proc.kill('SIGTERM'), 15_000);
  }
}

/** CPU time (user + system) of a process, in ms, from /proc; NaN once it is gone. */
export function cpuMs(pid) {
  try {
    return cpuOf(readFileSync(`/proc/${pid}/stat`, 'utf8')).own;
  } catch {
    return NaN;
  }
}

/** A /proc/<pid>/stat line: the parent's pid, the process's CPU ms and its reaped children's. */
export function cpuOf(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (a, b) => ((Number(fields[a]) + Number(fields[b])) * 1000) / 100;
  return { ppid: Number(fields[1]), own: ms(11, 12), children: ms(13, 14) };
}

/** GET /health/live answers 200. */
export async function httpReady(port) {
  return fetch(`http://127.0.0.1:${port}/health/live`).then(
    async (res) => (await res.arrayBuffer(), res.ok),
    () => false,
  );
}
