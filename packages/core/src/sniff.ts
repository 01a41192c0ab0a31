/** The raster image types imgstash recognises from their magic bytes. */
export type RasterImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/avif';

/** Every type {@link sniffType} can report. SVG and HTML are recognised so they can be refused. */
export type SniffedType = RasterImageType | 'image/svg+xml' | 'text/html';

/** How many leading bytes {@link sniffType} needs to decide. */
export const SNIFF_BYTES = 512;

/** File extensions for the recognised types. */
export const EXTENSION_FOR_TYPE: Readonly<Record<SniffedType, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/svg+xml': 'svg',
  'text/html': 'html',
};

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, sig: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[offset + i] !== sig[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function isAvifBrand(brand: string): boolean {
  return brand === 'avif' || brand === 'avis';
}

function sniffAvif(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return false;
  const boxSize = ((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  if (isAvifBrand(ascii(bytes, 8, 12))) return true;
  // Compatible brands follow the major brand and minor version.
  const end = Math.min(boxSize >>> 0, bytes.length);
  for (let i = 16; i + 4 <= end; i += 4) if (isAvifBrand(ascii(bytes, i, i + 4))) return true;
  return false;
}

const TEXT_DECODER = new TextDecoder('utf-8', { fatal: false });

function sniffMarkup(bytes: Uint8Array): 'image/svg+xml' | 'text/html' | undefined {
  const text = TEXT_DECODER.decode(bytes.subarray(0, SNIFF_BYTES))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (!text.startsWith('<')) return undefined;
  if (/<svg[\s>/]/.test(text)) return 'image/svg+xml';
  // The WHATWG sniffing table's HTML openers, plus a few that carry script on their own.
  if (
    /^(<!doctype html|<html|<head|<body|<script|<iframe|<h1|<div|<font|<table|<a[\s>]|<style|<title|<b[\s>]|<br|<p[\s>]|<!--|<\?xml)/.test(
      text,
    )
  ) {
    return 'text/html';
  }
  return undefined;
}

/**
 * Identifies the real type of a file from its first bytes (at least {@link SNIFF_BYTES}
 * when available), ignoring whatever type the client claimed.
 * Returns `undefined` for anything it does not recognise.
 *
 * @example
 * ```ts
 * sniffType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // "image/jpeg"
 * ```
 */
export function sniffType(bytes: Uint8Array): SniffedType | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, PNG_SIG)) return 'image/png';
  if (bytes.length >= 6) {
    const gif = ascii(bytes, 0, 6);
    if (gif === 'GIF87a' || gif === 'GIF89a') return 'image/gif';
  }
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    return 'image/webp';
  }
  if (sniffAvif(bytes)) return 'image/avif';
  return sniffMarkup(bytes);
}
