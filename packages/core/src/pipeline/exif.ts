// EXIF as far as stripping needs it: the Orientation tag (0x0112) of IFD0, read from a TIFF
// block and written back as the smallest TIFF block that holds it alone.

import { u16be, u32be } from './bytes.js';

/** An EXIF orientation, 1 (upright) to 8. 5 to 8 swap width and height for display. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const ORIENTATION_TAG = 0x0112;

/**
 * The Orientation in a TIFF block (`II*\0` or `MM\0*`), or 1 when it is absent or the
 * block is malformed: a broken EXIF block must not make an upload fail.
 */
export function readOrientation(tiff: Uint8Array): Orientation {
  if (tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const u16 = (at: number) => (little ? (tiff[at] ?? 0) | ((tiff[at + 1] ?? 0) << 8) : u16be(tiff, at));
  const u32 = (at: number) => (little ? (u16(at) | (u16(at + 2) << 16)) >>> 0 : u32be(tiff, at));
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    // SHORT, count 1: the value sits in the first two bytes of the value field.
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? (value as Orientation) : 1;
  }
  return 1;
}

/** The 26-byte big-endian TIFF block that holds only `orientation`. */
export function minimalTiff(orientation: Orientation): Uint8Array {
  // biome-ignore format: the TIFF layout, field by field
  return Uint8Array.of(
    0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, // "MM", 42, IFD0 at 8
    0, 1, // one entry
    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, // Orientation, SHORT, 1 value
    0, 0, 0, 0, // no next IFD
  );
}

/** True when `orientation` turns the image a quarter turn, so width and height swap. */
export function swapsAxes(orientation: Orientation): boolean {
  return orientation >= 5;
}

// (mirror, clockwise quarter turns) for each orientation: display = rotate ∘ mirror.
const FORM: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, 0],
  [1, 0],
  [0, 2],
  [1, 2],
  [1, 3],
  [0, 1],
  [1, 1],
  [0, 3],
];

function fromForm(mirror: number, turns: number): Orientation {
  const t = ((turns % 4) + 4) % 4;
  return (FORM.findIndex(([m, r], i) => i > 0 && m === mirror && r === t) || 1) as Orientation;
}

/**
 * `orientation` followed by a rotation of `quarterTurnsCcw` anticlockwise quarter turns
 * (HEIF `irot`).
 */
export function thenRotate(orientation: Orientation, quarterTurnsCcw: number): Orientation {
  const [m, r] = FORM[orientation] as readonly [number, number];
  return fromForm(m, r - quarterTurnsCcw);
}

/** `orientation` followed by a mirror (HEIF `imir`): axis 0 flips left-right, axis 1 top-bottom. */
export function thenMirror(orientation: Orientation, axis: number): Orientation {
  const [m, r] = FORM[orientation] as readonly [number, number];
  // A left-right flip after a rotation r equals a rotation -r after the flip.
  const flipped = fromForm(m ^ 1, -r);
  return axis === 0 ? flipped : thenRotate(flipped, 2);
}
