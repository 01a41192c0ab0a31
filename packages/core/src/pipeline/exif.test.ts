import { describe, expect, it } from 'vitest';
import { minimalTiff, type Orientation, readOrientation, thenMirror, thenRotate } from './exif.js';

/** A little-endian TIFF block with `entries` as [tag, value] SHORT entries in IFD0. */
function littleTiff(entries: [number, number][]): Uint8Array {
  const out = new Uint8Array(8 + 2 + entries.length * 12 + 4);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, value], k) => {
    const at = 10 + k * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, 3, true);
    view.setUint32(at + 4, 1, true);
    view.setUint16(at + 8, value, true);
  });
  return out;
}

describe('EXIF orientation', () => {
  it('reads the orientation from big- and little-endian TIFF blocks, after other tags', () => {
    for (let o = 1; o <= 8; o++) {
      expect(readOrientation(minimalTiff(o as Orientation))).toBe(o);
      expect(
        readOrientation(
          littleTiff([
            [0x010f, 7],
            [0x0112, o],
          ]),
        ),
      ).toBe(o);
    }
  });

  it('reads 1 from a block without the tag, with an out-of-range value, or malformed, rather than failing', () => {
    expect(readOrientation(littleTiff([[0x010f, 7]]))).toBe(1);
    expect(readOrientation(littleTiff([[0x0112, 9]]))).toBe(1);
    expect(readOrientation(new Uint8Array([0x49, 0x49, 42, 0, 0xff, 0xff, 0xff, 0xff]))).toBe(1);
    expect(readOrientation(littleTiff([[0x0112, 6]]).subarray(0, 16))).toBe(1);
    expect(readOrientation(new Uint8Array(3))).toBe(1);
  });

  it('writes a 26-byte block that holds only the orientation', () => {
    expect(minimalTiff(6)).toHaveLength(26);
  });

  it('composes HEIF irot (anticlockwise) and imir with an orientation', () => {
    expect(thenRotate(1, 0)).toBe(1);
    expect(thenRotate(1, 1)).toBe(8); // 90° anticlockwise = 270° clockwise
    expect(thenRotate(1, 2)).toBe(3);
    expect(thenRotate(1, 3)).toBe(6);
    expect(thenMirror(1, 0)).toBe(2); // left-right
    expect(thenMirror(1, 1)).toBe(4); // top-bottom
    // Mirroring twice, or turning four times, changes nothing.
    for (let o = 1; o <= 8; o++) {
      expect(thenMirror(thenMirror(o as Orientation, 0), 0)).toBe(o);
      expect(thenRotate(thenRotate(o as Orientation, 2), 2)).toBe(o);
    }
  });
});
