// The image host's logger: what it leaves out, whatever an error or a URL carries. The log of
// a real run on s3rver is grepped in deploy.test.ts; this is the last filter on its own.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../server.js';

const env = {
  LOG_LEVEL: 'info',
  AWS_ACCESS_KEY_ID: 'AKIDLOGTEST',
  AWS_SECRET_ACCESS_KEY: 'wJalr/XUtn+FEMI"secret',
  IMGSTASH_SECRET: 'local-hmac-secret-value',
};

function capture(vars: Record<string, string>) {
  const lines: string[] = [];
  const logger = createLogger(vars, {
    write(line: string) {
      lines.push(line);
      return true;
    },
  });
  return { logger, lines };
}

describe('the image host logger', () => {
  it('blanks the keys, the secrets and signed-URL credentials, even inside an error and its cause', () => {
    const { logger, lines } = capture(env);
    // What an S3 SignatureDoesNotMatch carries: the access key as a property and in the text.
    const sdkError = Object.assign(
      new Error(`The request signature we calculated does not match (${env.AWS_ACCESS_KEY_ID})`),
      {
        name: 'SignatureDoesNotMatch',
        AWSAccessKeyId: env.AWS_ACCESS_KEY_ID,
        $metadata: { httpStatusCode: 403 },
      },
    );
    const wrapped = Object.assign(new Error('[imgstash] [s3] the store failed', { cause: sdkError }), {
      code: 'STORAGE_ERROR',
    });
    logger.error({ err: wrapped }, 'store call failed');
    logger.info(
      {
        note: `secret ${env.AWS_SECRET_ACCESS_KEY} and ${env.IMGSTASH_SECRET}`,
        location:
          'https://s3.example.com/b/k?X-Amz-Credential=AKIDLOGTEST%2F20261201%2Fauto&X-Amz-Signature=0123abcd&X-Amz-Security-Token=tok',
        files: '/files/k?expires=1&sig=c2lnbmF0dXJl',
      },
      'values',
    );
    const out = lines.join('');
    for (const secret of ['AKIDLOGTEST', 'wJalr', 'local-hmac-secret-value', '0123abcd', 'tok', 'c2lnbmF0dXJl']) {
      expect(out).not.toContain(secret);
    }
    const [failure] = lines.map((line) => JSON.parse(line));
    expect(failure.err).toMatchObject({
      code: 'STORAGE_ERROR',
      cause: { type: 'SignatureDoesNotMatch', status: 403 },
    });
    expect(Object.keys(failure.err.cause).sort()).toEqual(['message', 'stack', 'status', 'type']);
  });

  it('is silent under a test runner unless LOG_LEVEL asks for lines', () => {
    const quiet = capture({});
    quiet.logger.info('hello');
    expect(quiet.lines).toEqual([]);
    const asked = capture({ LOG_LEVEL: 'info' });
    asked.logger.info('hello');
    expect(asked.lines).toHaveLength(1);
  });
});
