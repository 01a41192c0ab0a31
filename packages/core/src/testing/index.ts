export { serveSignedUrl } from '../serve.js';
export {
  type ContractOptions,
  describeImageStore,
  INVALID_KEYS,
  patternStream,
  type TestFunctions,
} from './contract.js';
export { sendPresignedUpload } from './direct-upload.js';
export { FIXTURES } from './fixtures.js';
