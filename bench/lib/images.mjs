// Real PNG images of chosen sizes, made once with sharp and kept in a temp directory.
// The pixels are noise, stored without compression, so the file size follows the pixel
// count exactly and every upload carries the same bytes.
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const MiB = 1024 * 1024;

/** Where the generated images are kept between runs. */
export const IMAGE_DIR = join(tmpdir(), 'imgstash-bench-images');

/** Pseudo-random bytes; a fresh image need not repeat, since it is made once and kept. */
function noise(length) {
  return randomFillSync(Buffer.allocUnsafe(length));
}

/**
 * The path of a noise PNG of about `mebibytes` MiB (just under it), made on first use.
 * An uncompressed PNG row is 1 filter byte + 3 bytes per pixel.
 */
export async function noisePng(mebibytes, seed = 1) {
  const path = join(IMAGE_DIR, `noise-${mebibytes}MiB-${seed}.png`);
  if (existsSync(path)) return path;
  await mkdir(IMAGE_DIR, { recursive: true });
  const width = 2048;
  // Leaves room for the zlib stored-block and PNG chunk overhead.
  const height = Math.floor((mebibytes * MiB * 0.998) / (width * 3 + 1));
  const png = await sharp(noise(width * height * 3), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0, adaptiveFiltering: false })
    .toBuffer();
  if (png.length > mebibytes * MiB) throw new Error(`noise PNG of ${png.length} bytes exceeds ${mebibytes} MiB`);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, png);
  await rename(partial, path);
  return path;
}

/** Reads an image made by {@link noisePng}. */
export function readImage(path) {
  return readFile(path);
}

/**
 * The path of a baseline JPEG of noise of about `mebibytes` MiB, with the EXIF (GPS, make,
 * model) and XMP a phone writes, made on first use.
 */
export async function noiseJpeg(mebibytes, seed = 1) {
  const path = join(IMAGE_DIR, `noise-${mebibytes}MiB-${seed}.jpg`);
  if (existsSync(path)) return path;
  await mkdir(IMAGE_DIR, { recursive: true });
  // Noise at quality 92 costs about 0.88 bytes per pixel.
  const width = 4000;
  const height = Math.floor((mebibytes * MiB) / (width * 0.88));
  const jpeg = await sharp(noise(width * height * 3), { raw: { width, height, channels: 3 } })
    .withExif({
      IFD0: { Make: 'BenchCam', Model: 'B1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2952/100' },
    })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 92 })
    .toBuffer();
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, jpeg);
  await rename(partial, path);
  return path;
}
