export { createSharpTransformer, type SharpQualities, type SharpTransformerOptions } from './sharp-transformer.js';
