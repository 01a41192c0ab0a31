// Byte helpers shared by the pipeline's format walkers. Web APIs only.

/** `indexOf` called with the bytes as `this`. */
export type IndexOf = (this: Uint8Array, value: number, from: number) => number;
// Feature detection, not an import: where the runtime has Node's Buffer, its indexOf is a
// native memchr, several times faster than TypedArray#indexOf on the plain Uint8Arrays
// that Web streams deliver. Scanning every byte of an upload is the hot loop here.
export const nativeIndexOf: IndexOf | undefined = (globalThis as { Buffer?: { prototype: { indexOf: IndexOf } } })
  .Buffer?.prototype.indexOf;

/** The index of byte `value` in `bytes` at or after `from`, or -1. */
export function indexOfByte(bytes: Uint8Array, value: number, from = 0): number {
  return nativeIndexOf ? nativeIndexOf.call(bytes, value, from) : bytes.indexOf(value, from);
}

/** Big-endian unsigned 16-bit read. */
export function u16be(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

/** Big-endian unsigned 32-bit read. */
export function u32be(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;
}

/** Little-endian unsigned 16-bit read. */
export function u16le(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
}

/** Little-endian unsigned 24-bit read. */
export function u24le(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16);
}

/** Little-endian unsigned 32-bit read. */
export function u32le(b: Uint8Array, at: number): number {
  return (u24le(b, at) | ((b[at + 3] ?? 0) << 24)) >>> 0;
}

/** Writes a big-endian unsigned 32-bit value. */
export function putU32be(b: Uint8Array, at: number, value: number): void {
  b[at] = (value >>> 24) & 0xff;
  b[at + 1] = (value >>> 16) & 0xff;
  b[at + 2] = (value >>> 8) & 0xff;
  b[at + 3] = value & 0xff;
}

/** Writes a little-endian unsigned 32-bit value. */
export function putU32le(b: Uint8Array, at: number, value: number): void {
  b[at] = value & 0xff;
  b[at + 1] = (value >>> 8) & 0xff;
  b[at + 2] = (value >>> 16) & 0xff;
  b[at + 3] = (value >>> 24) & 0xff;
}

/** Four ASCII characters at `at`. */
export function fourCC(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);
}

/** The bytes of a short ASCII string. */
export function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** True when `bytes` starts with `prefix` at `at`. */
export function hasPrefix(bytes: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** Joins byte arrays into one. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Collects a header of up to `capacity` bytes across chunk boundaries. */
export class Collector {
  bytes: Uint8Array;
  filled = 0;
  want = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }
  /** Starts collecting `want` bytes (growing the buffer when needed). */
  start(want: number): void {
    if (want > this.bytes.length) this.bytes = new Uint8Array(want);
    this.want = want;
    this.filled = 0;
  }
  /** Copies from `chunk` at `offset`; returns the new offset. */
  fill(chunk: Uint8Array, offset: number): number {
    const n = Math.min(this.want - this.filled, chunk.length - offset);
    // A byte loop for a few bytes, set() for more: headers run per chunk of the image.
    if (n < 16) for (let k = 0; k < n; k++) this.bytes[this.filled + k] = chunk[offset + k] as number;
    else this.bytes.set(chunk.subarray(offset, offset + n), this.filled);
    this.filled += n;
    return offset + n;
  }
  get full(): boolean {
    return this.filled === this.want;
  }
  /** A copy of what was collected. */
  copy(): Uint8Array {
    return this.bytes.slice(0, this.filled);
  }
}

const CRC_TABLE = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Updates a running CRC-32 (PNG, zlib) with `bytes`; start from 0xffffffff, finish with `~crc >>> 0`. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}

/** Updates a running CRC-32 with `count` zero bytes. */
export function crc32Zeros(crc: number, count: number): number {
  let c = crc;
  for (let i = 0; i < count; i++) c = (CRC_TABLE[c & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}
