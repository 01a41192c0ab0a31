// Checks that a browser on ORIGIN may send direct uploads to the bucket the S3 variables name
// (S3_BUCKET, S3_ENDPOINT, AWS_ACCESS_KEY_ID, …: see docs/providers/), with the CORS preflight
// a browser sends first, and prints what the bucket's CORS rules lack. Nothing is uploaded.
//   pnpm build && node scripts/check-cors.mjs https://app.example.com [post|put]
import { checkUploadCors } from '../packages/core/dist/index.js';
import { s3StoreFromEnv } from '../packages/s3/dist/index.js';

const [origin, method] = process.argv.slice(2);
if (!origin || (method !== undefined && method !== 'post' && method !== 'put')) {
  console.error('usage: node scripts/check-cors.mjs <page origin> [post|put]');
  process.exit(2);
}
const store = s3StoreFromEnv(process.env, method ? { directUpload: method } : {});
const result = await checkUploadCors(store, { origin });
if (result.ok) {
  console.log(`✓ ${origin} may send direct uploads (${result.method}) to ${result.url}`);
} else {
  console.error(`✗ ${origin} may not send direct uploads (${result.method}) to ${result.url}; the CORS rules lack:`);
  for (const line of result.missing) console.error(`  - ${line}`);
  console.error('See docs/direct-uploads.md#cors for the rule of each provider.');
  process.exit(1);
}
