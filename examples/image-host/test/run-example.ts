// Runs an example the way a newcomer does: `node server.js` in its own process, driven over
// HTTP as the README's curl lines do. It imports the built packages, as an app would.
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningExample {
  child: ChildProcess;
  /** The URL from the line the example logs, with a trailing slash. */
  url: string;
  /** What it printed, stdout and stderr, in chunks as they came. */
  log: string[];
}

/** Options for {@link runExample}. */
export interface RunOptions {
  /** The script to run, relative to `dir`. Default `server.js`. */
  script?: string;
}

/**
 * Starts `node server.js` in `dir`, with only PATH and `env` in its environment (PORT
 * defaults to 0, a free port), and resolves with the URL it logs.
 */
export async function runExample(
  dir: string,
  env: Record<string, string>,
  { script = 'server.js' }: RunOptions = {},
): Promise<RunningExample> {
  const child = spawn(process.execPath, [script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the example did not start:\n${log.join('')}`));
    }, 20_000);
    child.stdout?.on('data', (data: Buffer) => {
      log.push(data.toString());
      // Plain text or a JSON line: the URL ends at a space or a quote.
      const match = /listening on (https?:\/\/[^\s"]+)/.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the example exited with ${code}:\n${log.join('')}`));
    });
  });
  return { child, url, log };
}

/** The JSON lines the example logged (pino), in order; other output is skipped. */
export function logLines(running: RunningExample): Record<string, unknown>[] {
  return running.log
    .join('')
    .split('\n')
    .flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

/** Resolves once a logged JSON line matches `predicate`; fails after 10 s. */
export async function waitForLine(
  running: RunningExample,
  predicate: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const line = logLines(running).find(predicate);
    if (line) return line;
    await sleep(10);
  }
  throw new Error(`no such log line in:\n${running.log.join('')}`);
}

/** What `curl -F file=@photo.jpg $url/upload` then `curl -L $link` do; relative links resolve against `url`. */
export async function uploadAndFollow(url: string, bytes: Uint8Array, filename: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), filename);
  const upload = await fetch(new URL('upload', url), { method: 'POST', body: form });
  const body = (await upload.json()) as { id: string; url: string; sha256: string; size: number };
  const followed = await fetch(new URL(body.url, url));
  return { upload, body, followed, bytes: new Uint8Array(await followed.arrayBuffer()) };
}
