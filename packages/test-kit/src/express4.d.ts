// Express 4 is installed under the alias `express4`, next to Express 5; its API surface
// used here (a callable app factory) is typed by Express 5's types.
declare module 'express4' {
  import type express from 'express';
  const express4: typeof express;
  export default express4;
}
