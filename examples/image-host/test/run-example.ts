// Runs an example the way a newcomer does: `node server.js` in its own process, driven over
// HTTP as the README's curl lines do. It imports the built packages, as an app would.
import { type ChildProcess, spawn } from 'node:child_process';

export interface RunningExample {
  child: ChildProcess;
  /** The URL from the line the example logs, with a trailing slash. */
  url: string;
  log: string[];
}

/** Starts `node server.js` in `dir` on a free port and resolves with the URL it logs. */
export async function runExample(dir: string, env: Record<string, string>): Promise<RunningExample> {
  const child = spawn(process.execPath, ['server.js'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start:\n${log.join('')}`)), 20_000);
    child.stdout?.on('data', (data: Buffer) => {
      log.push(data.toString());
      const match = /listening on (http:\/\/\S+)/.exec(log.join(''));
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

/** What `curl -F file=@photo.jpg $url/upload` then `curl -L $link` do. */
export async function uploadAndFollow(url: string, bytes: Uint8Array, filename: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), filename);
  const upload = await fetch(new URL('upload', url), { method: 'POST', body: form });
  const body = (await upload.json()) as { id: string; url: string; sha256: string; size: number };
  const followed = await fetch(body.url);
  return { upload, body, followed, bytes: new Uint8Array(await followed.arrayBuffer()) };
}
