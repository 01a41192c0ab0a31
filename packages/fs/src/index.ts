export { createFsStore, type FsStoreOptions } from './fs-store.js';
