import type { ImageFormat } from './sniff.js';

/**
 * Image dimensions read from the file header, before any decoding: JPEG SOF, PNG IHDR, BMP DIB
 * header, GIF logical screen, WebP VP8/VP8L/VP8X. This is what lets a 2 KB file that declares
 * 30000×30000 pixels (a decompression bomb) be rejected without allocating its pixels.
 */
export interface ImageHeader {
  format: ImageFormat;
  /** Dimensions as stored in the file (before EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (JPEG APP1); 1 for every other format or when absent. */
  orientation: number;
  /** Dimensions of the upright image (width and height swapped for orientations 5–8). */
  uprightWidth: number;
  uprightHeight: number;
}

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u32le = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + ((b[i + 3] << 24) >>> 0);
const i32le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

function header(format: ImageFormat, width: number, height: number, orientation = 1): ImageHeader | null {
  if (!(width > 0 && height > 0)) return null;
  const swap = orientation >= 5 && orientation <= 8;
  return { format, width, height, orientation, uprightWidth: swap ? height : width, uprightHeight: swap ? width : height };
}

/** Header of a JPEG, PNG, BMP, GIF or WebP file; null when the header is missing, truncated or malformed. */
export function readImageHeader(bytes: Uint8Array, format: ImageFormat): ImageHeader | null {
  switch (format) {
    case 'jpeg':
      return readJpeg(bytes);
    case 'png':
      if (bytes.length < 24 || u32be(bytes, 8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
      return header('png', u32be(bytes, 16), u32be(bytes, 20));
    case 'bmp':
      return readBmp(bytes);
    case 'gif':
      return bytes.length >= 10 ? header('gif', u16le(bytes, 6), u16le(bytes, 8)) : null;
    case 'webp':
      return readWebp(bytes);
    default:
      return null;
  }
}

function readJpeg(b: Uint8Array): ImageHeader | null {
  let orientation = 1;
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return null;
    while (b[i + 1] === 0xff && i + 2 < b.length) i++; // fill bytes
    const marker = b[i + 1];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // EOI or SOS before any frame header
    if (i + 3 >= b.length) return null;
    const len = u16be(b, i + 2);
    if (len < 2) return null;
    const p = i + 4; // payload
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (p + 5 > b.length) return null;
      return header('jpeg', u16be(b, p + 3), u16be(b, p + 1), orientation);
    }
    if (marker === 0xe1 && len >= 16 && p + 6 <= b.length && String.fromCharCode(...b.subarray(p, p + 4)) === 'Exif') {
      orientation = exifOrientation(b.subarray(p + 6, Math.min(b.length, i + 2 + len))) ?? orientation;
    }
    i += 2 + len;
  }
  return null;
}

/** Orientation tag (0x0112) of IFD0 in a TIFF block; null when absent or malformed. */
export function exifOrientation(t: Uint8Array): number | null {
  if (t.length < 8) return null;
  const le = t[0] === 0x49 && t[1] === 0x49;
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return null;
  const r16 = (i: number) => (le ? u16le(t, i) : u16be(t, i));
  const r32 = (i: number) => (le ? u32le(t, i) : u32be(t, i));
  if (r16(2) !== 42) return null;
  const ifd = r32(4);
  if (ifd + 2 > t.length) return null;
  const n = r16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > t.length) return null;
    if (r16(e) === 0x0112) {
      const v = r16(e + 8);
      return v >= 1 && v <= 8 ? v : null;
    }
  }
  return null;
}

function readBmp(b: Uint8Array): ImageHeader | null {
  if (b.length < 26) return null;
  const dib = u32le(b, 14);
  if (dib === 12) return header('bmp', u16le(b, 18), u16le(b, 20));
  if (dib < 16 || b.length < 26) return null;
  return header('bmp', i32le(b, 18), Math.abs(i32le(b, 22)));
}

function readWebp(b: Uint8Array): ImageHeader | null {
  if (b.length < 30) return null;
  const chunk = String.fromCharCode(...b.subarray(12, 16));
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return header('webp', u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return null;
    const bits = u32le(b, 21);
    return header('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') return header('webp', u24le(b, 24) + 1, u24le(b, 27) + 1);
  return null;
}

let crcTable: Uint32Array | null = null;
/** CRC-32 (ISO 3309, as PNG and ZIP use it) of b[from, to). */
export function crc32(b: Uint8Array, from = 0, to = b.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Structural damage the browser's decoders let through: Chromium decodes a PNG whose IDAT bytes
 * were scrambled (it skips the chunk CRCs) and may show a BMP with missing rows. Returns what is
 * wrong, or null when the file looks whole. (Truncated JPEGs and PNGs are also rejected by the
 * decoder itself.)
 */
export function findCorruption(b: Uint8Array, format: ImageFormat): string | null {
  if (format === 'png') {
    let i = 8;
    let sawIend = false;
    while (i + 12 <= b.length) {
      const len = u32be(b, i);
      const type = String.fromCharCode(...b.subarray(i + 4, i + 8));
      if (i + 12 + len > b.length) return `the PNG chunk "${type}" is cut off (the file is truncated)`;
      if (crc32(b, i + 4, i + 8 + len) !== u32be(b, i + 8 + len)) return `the PNG chunk "${type}" at byte ${i} fails its CRC check (the file is corrupt)`;
      i += 12 + len;
      if (type === 'IEND') {
        sawIend = true;
        break;
      }
    }
    if (!sawIend) return 'the PNG has no IEND chunk (the file is truncated)';
    return null;
  }
  if (format === 'bmp') {
    const dib = u32le(b, 14);
    if (dib < 40) return null;
    const compression = u32le(b, 30);
    if (compression !== 0 && compression !== 3 && compression !== 6) return null; // RLE/JPEG/PNG payloads: leave to the decoder
    const bpp = u16le(b, 28);
    const width = i32le(b, 18);
    const height = Math.abs(i32le(b, 22));
    const row = Math.ceil((width * bpp) / 32) * 4;
    const need = u32le(b, 10) + row * height;
    if (need > b.length) return `the BMP declares ${width}×${height} pixels at ${bpp} bits but holds only ${b.length} of ${need} bytes (the file is truncated)`;
    return null;
  }
  return null;
}
