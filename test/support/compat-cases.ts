import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { crc32 } from '../../src/image/header';
import { HAS_SHARED, ROOT, SHARED_FIXTURES } from './env';

/**
 * The error table of contract section 5, as inputs made at test time (no committed images besides
 * the two Debian fixtures). Shared by the browser compat test and the CLI test.
 */

/** A field value that survives puppeteer's JSON transport: NaN and byte arrays are tagged. */
export type WireValue = string | number | boolean | null | WireValue[] | { $nan: true } | { $b64: string };

export interface ErrorCase {
  name: string;
  status: number;
  code: string;
  /** Fields as sent; an absent key is a missing field. `image` is bytes unless `imageValue` says otherwise. */
  image?: Uint8Array;
  imageValue?: WireValue;
  shape_type?: WireValue;
  strength?: WireValue;
  /** False where the CLI cannot express the input (null, arrays, a non-file image). */
  cli?: boolean;
}

export const JPEG_FIXTURE = resolve(ROOT, 'test/fixtures/grace_hopper.jpg');
export const PNG_FIXTURE = resolve(ROOT, 'test/fixtures/astronaut.png');

export function pngBytes(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Uint8Array {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const i = (y * width + x) * 4;
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = 255;
    }
  return new Uint8Array(PNG.sync.write(png));
}

/** An uncompressed bottom-up BMP (24 or 32 bits) of RGBA pixels; `topDown` writes a negative height. */
export function bmpBytes(width: number, height: number, rgba: Uint8Array, bpp: 24 | 32, topDown = false): Uint8Array {
  const row = Math.ceil((width * bpp) / 32) * 4;
  const size = 54 + row * height;
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  buf[0] = 0x42;
  buf[1] = 0x4d;
  dv.setUint32(2, size, true);
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, topDown ? -height : height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, bpp, true);
  dv.setUint32(34, row * height, true);
  dv.setInt32(38, 2835, true);
  dv.setInt32(42, 2835, true);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = 54 + (topDown ? y : height - 1 - y) * row + (x * bpp) / 8;
      const s = (y * width + x) * 4;
      buf[o] = rgba[s + 2];
      buf[o + 1] = rgba[s + 1];
      buf[o + 2] = rgba[s];
      if (bpp === 32) buf[o + 3] = 255;
    }
  return buf;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A decompression bomb: a well-formed PNG of a few KB declaring width×height RGBA pixels (its
 * IDAT holds the start of an all-zero image). Decoding it would allocate width×height×4 bytes.
 */
export function pngBomb(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const idat = new Uint8Array(deflateSync(new Uint8Array(1 << 20)));
  return concat([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Offset of the first SOF0/SOF2 payload in a JPEG. */
function sofOffset(j: Uint8Array): number {
  let i = 2;
  while (i < j.length) {
    const m = j[i + 1];
    if (m === 0xc0 || m === 0xc2) return i + 4;
    i += 2 + ((j[i + 2] << 8) | j[i + 3]);
  }
  throw new Error('no SOF');
}

/** The same JPEG with its frame header rewritten to declare width×height. */
export function jpegDeclaring(j: Uint8Array, width: number, height: number): Uint8Array {
  const out = j.slice();
  const p = sofOffset(out);
  out[p + 1] = height >> 8;
  out[p + 2] = height & 0xff;
  out[p + 3] = width >> 8;
  out[p + 4] = width & 0xff;
  return out;
}

function pad(b: Uint8Array, to: number): Uint8Array {
  const out = new Uint8Array(to);
  out.set(b);
  return out;
}

/** The PNG with bytes inside its first IDAT chunk flipped (CRC no longer matches). */
function corruptIdat(p: Uint8Array): Uint8Array {
  const out = p.slice();
  let i = 8;
  while (i < out.length) {
    const len = (out[i] << 24) | (out[i + 1] << 16) | (out[i + 2] << 8) | out[i + 3];
    const type = String.fromCharCode(...out.subarray(i + 4, i + 8));
    if (type === 'IDAT') {
      for (let k = 100; k < Math.min(len, 2000); k += 7) out[i + 8 + k] ^= 0x5a;
      return out;
    }
    i += 12 + len;
  }
  throw new Error('no IDAT');
}

const text = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** A faceless picture: smooth colour gradients with a few shapes. */
export function facelessPng(): Uint8Array {
  return pngBytes(160, 120, (x, y) => [(x * 255) / 160, (y * 255) / 120, ((x + y) % 40) < 20 ? 200 : 60]);
}

export function errorCases(): ErrorCase[] {
  const jpeg = new Uint8Array(readFileSync(JPEG_FIXTURE));
  const png = new Uint8Array(readFileSync(PNG_FIXTURE));
  const ok = { shape_type: 2, strength: 0.5 };
  const gray = (n: number) => new Uint8Array(n * 4).fill(128);
  const cases: ErrorCase[] = [
    { name: 'no image', status: 400, code: 'MISSING_PARAMETERS', ...ok },
    { name: 'no shape_type', status: 400, code: 'MISSING_PARAMETERS', image: jpeg, strength: 0.5 },
    { name: 'no strength', status: 400, code: 'MISSING_PARAMETERS', image: jpeg, shape_type: 2 },
    { name: 'empty strength string', status: 400, code: 'MISSING_PARAMETERS', image: jpeg, shape_type: '2', strength: '' },

    { name: 'shape_type "abc"', status: 400, code: 'ERROR_INVALID_PARAMETER', image: jpeg, shape_type: 'abc', strength: 0.5 },
    { name: 'shape_type "8.5"', status: 400, code: 'ERROR_INVALID_PARAMETER', image: jpeg, shape_type: '8.5', strength: 0.5 },
    { name: 'strength "abc"', status: 400, code: 'ERROR_INVALID_PARAMETER', image: jpeg, shape_type: 2, strength: 'abc' },
    { name: 'strength NaN', status: 400, code: 'ERROR_INVALID_PARAMETER', image: jpeg, shape_type: 2, strength: { $nan: true }, cli: false },
    { name: 'strength null', status: 400, code: 'ERROR_INVALID_PARAMETER', image: jpeg, shape_type: 2, strength: null, cli: false },
    { name: 'shape_type array', status: 400, code: 'ERROR_INVALID_PARAMETER', image: jpeg, shape_type: [2], strength: 0.5, cli: false },
    { name: 'image is a string', status: 400, code: 'ERROR_INVALID_PARAMETER', imageValue: 'photo.jpg', ...ok, cli: false },

    { name: 'strength -0.1', status: 422, code: 'UNSUPPORTED_PARAMETER_VALUES', image: jpeg, shape_type: 2, strength: -0.1 },
    { name: 'strength 1.01', status: 422, code: 'UNSUPPORTED_PARAMETER_VALUES', image: jpeg, shape_type: 2, strength: '1.01' },
    { name: 'shape_type 22', status: 422, code: 'UNSUPPORTED_PARAMETER_VALUES', image: jpeg, shape_type: 22, strength: 0.5 },
    { name: 'shape_type -1', status: 422, code: 'UNSUPPORTED_PARAMETER_VALUES', image: jpeg, shape_type: '-1', strength: 0.5 },

    { name: 'GIF', status: 415, code: 'UNSUPPORTED_FILE_TYPES', image: b64('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='), ...ok },
    { name: 'WebP', status: 415, code: 'UNSUPPORTED_FILE_TYPES', image: b64('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=='), ...ok },
    { name: 'TIFF', status: 415, code: 'UNSUPPORTED_FILE_TYPES', image: concat([new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), new Uint8Array(64)]), ...ok },
    { name: 'SVG', status: 415, code: 'UNSUPPORTED_FILE_TYPES', image: text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="20"/></svg>'), ...ok },
    { name: 'text', status: 415, code: 'UNSUPPORTED_FILE_TYPES', image: text('hello, this is not an image\n'), ...ok },
    { name: 'empty file', status: 415, code: 'UNSUPPORTED_FILE_TYPES', image: new Uint8Array(0), ...ok },

    { name: 'JPEG of 3 MB + 1 byte', status: 413, code: 'FILE_SIZE_EXCEEDS_LIMIT', image: pad(jpeg, 3 * 1024 * 1024 + 1), ...ok },
    { name: 'PNG of 4 MB', status: 413, code: 'FILE_SIZE_EXCEEDS_LIMIT', image: pad(png, 4 * 1024 * 1024), ...ok },

    { name: 'JPEG truncated at 50 %', status: 400, code: 'FILE_DECODING_FAILURE', image: jpeg.slice(0, jpeg.length >> 1), ...ok },
    { name: 'JPEG truncated at 90 %', status: 400, code: 'FILE_DECODING_FAILURE', image: jpeg.slice(0, Math.floor(jpeg.length * 0.9)), ...ok },
    { name: 'PNG with corrupt IDAT', status: 400, code: 'FILE_DECODING_FAILURE', image: corruptIdat(png), ...ok },
    { name: 'PNG truncated', status: 400, code: 'FILE_DECODING_FAILURE', image: png.slice(0, png.length >> 1), ...ok },

    { name: 'PNG 10×10', status: 422, code: 'ERROR_LOW_RESOLUTION', image: pngBytes(10, 10, () => [128, 128, 128]), ...ok },
    { name: 'BMP 300×8', status: 422, code: 'ERROR_LOW_RESOLUTION', image: bmpBytes(300, 8, gray(300 * 8), 24), ...ok },

    { name: 'PNG bomb declaring 30000×30000', status: 422, code: 'ERROR_HIGH_RESOLUTION', image: pngBomb(30000, 30000), ...ok },
    { name: 'PNG 2000×16', status: 422, code: 'ERROR_HIGH_RESOLUTION', image: pngBytes(2000, 16, () => [90, 90, 90]), ...ok },
    { name: 'JPEG declaring 512×2400', status: 422, code: 'ERROR_HIGH_RESOLUTION', image: jpegDeclaring(jpeg, 512, 2400), ...ok },

    { name: 'generated faceless PNG', status: 422, code: 'ERROR_NO_FACE_IN_FILE', image: facelessPng(), ...ok },
  ];
  if (HAS_SHARED) {
    for (const f of ['neg03_cat_chelsea.png', 'neg02_rocket_launch.jpg']) {
      cases.push({ name: `shared negative ${f}`, status: 422, code: 'ERROR_NO_FACE_IN_FILE', image: new Uint8Array(readFileSync(resolve(SHARED_FIXTURES, 'negatives', f))), ...ok });
    }
  }
  return cases;
}

/** The case's request fields as wire values (absent keys stay absent). */
export function wireRequest(c: ErrorCase): Record<string, WireValue> {
  const r: Record<string, WireValue> = {};
  if (c.image) r.image = { $b64: Buffer.from(c.image).toString('base64') };
  else if (c.imageValue !== undefined) r.image = c.imageValue;
  if ('shape_type' in c) r.shape_type = c.shape_type!;
  if ('strength' in c) r.strength = c.strength!;
  return r;
}
