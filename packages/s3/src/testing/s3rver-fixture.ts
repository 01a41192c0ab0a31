// The s3rver harness lives in packages/test-kit/src/s3rver.ts, shared with the HTTP
// suites there; read it for how it stands in for the multipart calls s3rver lacks.
// Imported by path, not by package name, because test-kit depends on @imgstash/s3.
export {
  BUCKET,
  CREDENTIALS,
  closedPort,
  type Fault,
  type RecordedRequest,
  recordRequests,
  startS3rver,
  type TestServer,
} from '../../../test-kit/src/s3rver.js';
