// AVIF (ISOBMFF/HEIF): everything is done in place, because item locations (iloc) are
// absolute file offsets that removing bytes would break. The `meta` box, which precedes the
// image data in every mainstream encoder's output, is read whole (up to 1 MiB): the primary
// item's `ispe`, `irot` and `imir` give the displayed size; Exif and XMP items are renamed
// to the unknown item type `free`, and their payloads, in `idat` or later in `mdat`, are zeroed.
// An image sequence's `moov` is read whole too: its frames count against the limits, and its
// `udta`/`meta` boxes become `free` boxes of zeros.

import { ImageStoreError } from '../errors.js';
import { asciiBytes, fourCC, u16be, u32be } from './bytes.js';
import { type Orientation, thenMirror, thenRotate } from './exif.js';
import { unsupported } from './limits.js';
import { Walker } from './rewriter.js';

/** The largest `meta` box read: real ones are a few hundred bytes to a few KiB. */
export const MAX_META_BYTES: number = 1024 * 1024;
const FREE = asciiBytes('free');

enum S {
  Header,
  Meta,
  Pass,
  Rest,
}

interface Box {
  /** Offset of the box's header. */
  at: number;
  type: string;
  /** Offset of the payload. */
  start: number;
  end: number;
}

function malformed(): ImageStoreError {
  return unsupported('a malformed AVIF header');
}

/** The child boxes of `buf` between `start` and `end`. */
function children(buf: Uint8Array, start: number, end: number): Box[] {
  const out: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = u32be(buf, at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) throw malformed();
      size = u32be(buf, at + 8) * 2 ** 32 + u32be(buf, at + 12);
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header || at + size > end) throw malformed();
    out.push({ at, type: fourCC(buf, at + 4), start: at + header, end: at + size });
    at += size;
  }
  return out;
}

/** Reads big-endian integers of 0, 2, 4 or 8 bytes from `buf`, within `end`. */
class Reader {
  constructor(
    readonly buf: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}
  read(bytes: number): number {
    if (this.at + bytes > this.end) throw malformed();
    const b = this.buf;
    const at = this.at;
    this.at += bytes;
    switch (bytes) {
      case 0:
        return 0;
      case 1:
        return b[at] as number;
      case 2:
        return u16be(b, at);
      case 4:
        return u32be(b, at);
      case 8:
        return u32be(b, at) * 2 ** 32 + u32be(b, at + 4);
      default:
        throw malformed();
    }
  }
}

interface Extent {
  method: number;
  offset: number;
  length: number;
}

interface MetaFacts {
  width: number;
  height: number;
  orientation: Orientation;
  /** Absolute file ranges of metadata payloads, and ranges inside `idat`. */
  fileRanges: [number, number][];
}

/** Reads (and, when `strip`, neutralises in `meta`) the meta box payload starting at file offset `base`. */
function readMeta(meta: Uint8Array, base: number, strip: boolean): MetaFacts {
  // FullBox: version and flags first.
  const boxes = children(meta, 4, meta.length);
  const find = (type: string) => boxes.find((b) => b.type === type);
  let primary = -1;
  const pitm = find('pitm');
  if (pitm) primary = new Reader(meta, pitm.start + 4, pitm.end).read(meta[pitm.start] === 0 ? 2 : 4);

  const metadataItems = new Set<number>();
  const iinf = find('iinf');
  if (iinf) {
    const version = meta[iinf.start] as number;
    const first = iinf.start + 4 + (version === 0 ? 2 : 4);
    for (const infe of children(meta, first, iinf.end)) {
      if (infe.type !== 'infe') continue;
      const v = meta[infe.start] as number;
      if (v < 2) continue;
      const r = new Reader(meta, infe.start + 4, infe.end);
      const id = r.read(v === 2 ? 2 : 4);
      r.read(2); // protection index
      const typeAt = r.at;
      const type = fourCC(meta, typeAt);
      r.read(4);
      let xmp = false;
      if (type === 'mime') {
        const nameEnd = meta.indexOf(0, r.at);
        if (nameEnd < 0 || nameEnd >= infe.end) throw malformed();
        const typeEnd = meta.indexOf(0, nameEnd + 1);
        const contentType = String.fromCharCode(
          ...meta.subarray(nameEnd + 1, typeEnd < 0 || typeEnd > infe.end ? infe.end : typeEnd),
        );
        xmp = contentType === 'application/rdf+xml';
      }
      if (type === 'Exif' || xmp) {
        metadataItems.add(id);
        if (strip) meta.set(FREE, typeAt);
      }
    }
  }

  const extents = new Map<number, Extent[]>();
  const iloc = find('iloc');
  if (iloc) {
    const version = meta[iloc.start] as number;
    const r = new Reader(meta, iloc.start + 4, iloc.end);
    const sizes = r.read(1);
    const sizes2 = r.read(1);
    const offsetSize = sizes >> 4;
    const lengthSize = sizes & 0x0f;
    const baseSize = sizes2 >> 4;
    const indexSize = version === 1 || version === 2 ? sizes2 & 0x0f : 0;
    const count = r.read(version < 2 ? 2 : 4);
    for (let item = 0; item < count; item++) {
      const id = r.read(version < 2 ? 2 : 4);
      const method = version === 1 || version === 2 ? r.read(2) & 0x0f : 0;
      r.read(2); // data reference index
      const baseOffset = r.read(baseSize);
      const extentCount = r.read(2);
      const list: Extent[] = [];
      for (let e = 0; e < extentCount; e++) {
        r.read(indexSize);
        const offset = r.read(offsetSize);
        const length = r.read(lengthSize);
        list.push({ method, offset: baseOffset + offset, length });
      }
      extents.set(id, list);
    }
  }

  let width = 0;
  let height = 0;
  let orientation: Orientation = 1;
  const iprp = find('iprp');
  if (iprp) {
    const parts = children(meta, iprp.start, iprp.end);
    const ipco = parts.find((b) => b.type === 'ipco');
    const properties = ipco ? children(meta, ipco.start, ipco.end) : [];
    for (const ipma of parts.filter((b) => b.type === 'ipma')) {
      const version = meta[ipma.start] as number;
      const wide = ((meta[ipma.start + 3] as number) & 1) === 1;
      const r = new Reader(meta, ipma.start + 4, ipma.end);
      const count = r.read(4);
      for (let e = 0; e < count; e++) {
        const id = r.read(version < 1 ? 2 : 4);
        const n = r.read(1);
        for (let a = 0; a < n; a++) {
          const index = wide ? r.read(2) & 0x7fff : r.read(1) & 0x7f;
          if (id !== primary || index === 0) continue;
          const property = properties[index - 1];
          if (!property) throw malformed();
          const p = new Reader(meta, property.start, property.end);
          if (property.type === 'ispe') {
            p.read(4);
            width = p.read(4);
            height = p.read(4);
          } else if (property.type === 'irot') {
            orientation = thenRotate(orientation, p.read(1) & 3);
          } else if (property.type === 'imir') {
            orientation = thenMirror(orientation, p.read(1) & 1);
          }
        }
      }
    }
  }
  if (width === 0 || height === 0) throw unsupported('an AVIF without its dimensions');

  const fileRanges: [number, number][] = [];
  if (strip) {
    const idat = find('idat');
    for (const id of metadataItems) {
      for (const extent of extents.get(id) ?? []) {
        if (extent.length === 0) throw unsupported('an AVIF metadata item of unknown length');
        if (extent.method === 1) {
          if (!idat || idat.start + extent.offset + extent.length > idat.end) throw malformed();
          meta.fill(0, idat.start + extent.offset, idat.start + extent.offset + extent.length);
        } else if (extent.method === 0) {
          const start = extent.offset;
          const end = start + extent.length;
          if (start >= base && end <= base + meta.length) meta.fill(0, start - base, end - base);
          else if (start < base + meta.length) throw unsupported('an AVIF whose metadata precedes its header');
          else fileRanges.push([start, end]);
        }
      }
    }
    fileRanges.sort((a, b) => a[0] - b[0]);
  }
  const swap = orientation >= 5;
  return { width: swap ? height : width, height: swap ? width : height, orientation, fileRanges };
}

/** The colour track of an image sequence (`avis`): its size and sample count. */
interface Sequence {
  width: number;
  height: number;
  frames: number;
}

/**
 * Reads the image sequence in a `moov` payload: for each `pict`/`vide` track, `tkhd`'s size
 * and `stsz`'s sample count; the track with the most frames wins. With `strip`, `udta` and
 * `meta` boxes (titles, locations, tool names) become `free` boxes of zeros, in place.
 */
function readMoov(moov: Uint8Array, strip: boolean): Sequence | undefined {
  const neutralise = (box: Box) => {
    if (!strip || (box.type !== 'udta' && box.type !== 'meta')) return;
    moov.set(FREE, box.at + 4);
    moov.fill(0, box.start, box.end);
  };
  let best: Sequence | undefined;
  for (const box of children(moov, 0, moov.length)) {
    neutralise(box);
    if (box.type !== 'trak') continue;
    const track: Sequence = { width: 0, height: 0, frames: 0 };
    let handler = '';
    for (const t of children(moov, box.start, box.end)) {
      neutralise(t);
      if (t.type === 'tkhd' && t.end - t.start >= 8) {
        // The last two fields, 16.16 fixed point.
        track.width = u32be(moov, t.end - 8) >>> 16;
        track.height = u32be(moov, t.end - 4) >>> 16;
      }
      if (t.type !== 'mdia') continue;
      for (const m of children(moov, t.start, t.end)) {
        if (m.type === 'hdlr') handler = fourCC(moov, m.start + 8);
        if (m.type !== 'minf') continue;
        for (const stbl of children(moov, m.start, m.end).filter((b) => b.type === 'stbl')) {
          for (const table of children(moov, stbl.start, stbl.end)) {
            if (table.type === 'stsz' || table.type === 'stz2')
              track.frames = new Reader(moov, table.start + 8, table.end).read(4);
          }
        }
      }
    }
    if ((handler === 'pict' || handler === 'vide') && track.frames > (best?.frames ?? 0)) best = track;
  }
  return best;
}

/** The AVIF walker: see the comment at the top of this file for what it removes, keeps and neutralises. */
export class AvifWalker extends Walker {
  #state = S.Header;
  /** File offset of the current chunk's first byte. */
  #offset = 0;
  #ranges: [number, number][] = [];
  #next = 0;
  #meta: Uint8Array | undefined;
  /** The type of the box being read whole: `meta` or `moov`. */
  #box = '';
  #sawMeta = false;
  #metaFilled = 0;
  #metaBase = 0;
  readonly #header = new Uint8Array(16);
  #headerFilled = 0;
  #need = 8;

  push(chunk: Uint8Array, out: Uint8Array[]): void {
    this.from = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case S.Header: {
          const k = Math.min(this.#need - this.#headerFilled, n - i);
          this.#header.set(chunk.subarray(i, i + k), this.#headerFilled);
          this.#headerFilled += k;
          i += k;
          if (this.#headerFilled === this.#need) this.#onHeader(chunk, i, out);
          break;
        }
        case S.Meta: {
          const meta = this.#meta as Uint8Array;
          const k = Math.min(meta.length - this.#metaFilled, n - i);
          meta.set(chunk.subarray(i, i + k), this.#metaFilled);
          this.#metaFilled += k;
          i += k;
          this.from = i;
          if (this.#metaFilled === meta.length) this.#onMeta(out);
          break;
        }
        case S.Pass:
          i = this.pass(chunk, i);
          if (this.remaining === 0) this.#startHeader();
          break;
        case S.Rest:
          i = n;
          break;
      }
    }
    this.flush(chunk, n, out);
    this.#offset += n;
  }

  #startHeader(): void {
    this.#headerFilled = 0;
    this.#need = 8;
    this.#state = S.Header;
  }

  #onHeader(chunk: Uint8Array, i: number, out: Uint8Array[]): void {
    const size32 = u32be(this.#header, 0);
    const type = fourCC(this.#header, 4);
    if (size32 === 1 && this.#need === 8) {
      this.#need = 16;
      return;
    }
    const size = size32 === 1 ? u32be(this.#header, 8) * 2 ** 32 + u32be(this.#header, 12) : size32;
    if (!this.headDone && (type === 'mdat' || size32 === 0)) {
      throw unsupported('an AVIF whose image data comes before its header');
    }
    if (size32 === 0) {
      this.#state = S.Rest;
      return;
    }
    const payload = size - this.#need;
    if (payload < 0) {
      this.#state = S.Rest; // the structure check refuses it
      return;
    }
    if ((type === 'meta' && !this.#sawMeta) || type === 'moov') {
      if (payload > MAX_META_BYTES) throw unsupported('an AVIF header larger than 1 MiB');
      this.#box = type;
      this.flush(chunk, i, out);
      this.#meta = new Uint8Array(payload);
      this.#metaFilled = 0;
      this.#metaBase = this.#offset + i;
      this.#state = S.Meta;
      if (payload === 0) this.#onMeta(out);
      return;
    }
    this.remaining = payload;
    this.#state = S.Pass;
    if (payload === 0) this.#startHeader();
  }

  #onMeta(out: Uint8Array[]): void {
    const meta = this.#meta as Uint8Array;
    try {
      if (this.#box === 'moov') {
        const sequence = readMoov(meta, this.strip);
        if (sequence) {
          this.budget.add(sequence.width, sequence.height, sequence.frames);
          this.facts ??= { width: sequence.width, height: sequence.height, orientation: 1 };
        }
      } else {
        if (meta.length < 4) throw malformed();
        this.#sawMeta = true;
        const facts = readMeta(meta, this.#metaBase, this.strip);
        this.budget.add(facts.width, facts.height);
        this.facts ??= { width: facts.width, height: facts.height, orientation: facts.orientation };
        this.#ranges = facts.fileRanges;
      }
    } catch (error) {
      if (error instanceof ImageStoreError) throw error;
      throw malformed();
    }
    if (!this.facts) throw unsupported('an AVIF without its dimensions');
    out.push(meta);
    this.#meta = undefined;
    this.headDone = true;
    this.#startHeader();
  }

  /** Emits the run, zeroing the metadata payloads that fall in it. */
  protected override flush(chunk: Uint8Array, end: number, out: Uint8Array[]): void {
    const start = this.#offset + this.from;
    const stop = this.#offset + end;
    while (this.#next < this.#ranges.length && (this.#ranges[this.#next] as [number, number])[1] <= start) this.#next++;
    const range = this.#ranges[this.#next];
    if (!range || range[0] >= stop || end <= this.from) {
      super.flush(chunk, end, out);
      return;
    }
    const copy = chunk.slice(this.from, end);
    for (let r = this.#next; r < this.#ranges.length; r++) {
      const [a, b] = this.#ranges[r] as [number, number];
      if (a >= stop) break;
      copy.fill(0, Math.max(a, start) - start, Math.min(b, stop) - start);
    }
    out.push(copy);
    this.from = end;
  }

  finish(): void {
    if (!this.headDone) throw unsupported('a truncated AVIF');
  }
}
