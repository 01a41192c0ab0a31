// Starting the bench's child processes and talking to them over IPC.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** A child process that speaks the bench's message protocol. */
export class Child {
  constructor(process) {
    this.process = process;
    this.exited = once(process, 'exit');
  }

  /** Sends `message` and resolves the next message of type `reply`. */
  request(message, reply) {
    return new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m?.type !== reply) return;
        this.process.off('message', onMessage);
        this.process.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code) => reject(new Error(`child exited (${code}) while waiting for ${reply}`));
      this.process.on('message', onMessage);
      this.process.once('exit', onExit);
      if (message) this.process.send(message);
    });
  }

  /** Stops the child and waits for it to exit (so a --cpu-prof profile is written). */
  async stop() {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.disconnect();
      const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/**
 * Forks `script` (relative to this folder) with `--expose-gc` and waits for its
 * `ready` message. Set BENCH_CPU_PROF=<dir> to profile every child with --cpu-prof.
 */
export async function startChild(script, args = [], env = {}) {
  const execArgv = ['--expose-gc', ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])];
  if (process.env.BENCH_CPU_PROF) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`);
  const child = new Child(
    fork(here(script), args, {
      // The SDK warns on every start that its 2027 releases will need Node 22.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const ready = await child.request(undefined, 'ready');
  return Object.assign(child, { ready });
}
