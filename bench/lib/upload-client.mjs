// The upload load: real multipart/form-data bodies over keep-alive connections.
import { Agent, request } from 'node:http';
import { closedLoop } from './closed-loop.mjs';

/** A multipart/form-data body with one file part named `file`, as browsers send it. */
export function multipartBody(bytes, filename = 'noise.png', contentType = 'image/png') {
  const boundary = `----imgstashBench${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs `form` to `url`; resolves { status, ms, json }. */
export function post(url, form, agent) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': form.contentType, 'content-length': form.body.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = { raw: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode, ms: performance.now() - started, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(form.body);
  });
}

/**
 * `concurrency` workers each POST `form` `rounds` times, back to back. Resolves the
 * per-request latencies (ms), the wall time (ms), and the answers that were not 2xx.
 */
export async function uploadLoad(url, form, { concurrency, rounds }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    return await closedLoop({ concurrency, rounds }, async () => {
      const r = await post(url, form, agent);
      return r.status >= 200 && r.status < 300 ? { ok: true } : r;
    });
  } finally {
    agent.destroy();
  }
}
