import { FaceReshapeError } from '../errors.js';
import { findCorruption, readImageHeader, type ImageHeader } from './header.js';
import { describeFormat, mimeOf, sniffFormat, SNIFF_BYTES, type ImageFormat } from './sniff.js';

/**
 * Checks on encoded image bytes made before anything is decoded, in this order (the cloud's):
 *   1. type, sniffed from the bytes (empty → unsupported)          UNSUPPORTED_FORMAT
 *   2. file size                                                   FILE_TOO_LARGE
 *   3. header readable (dimensions present, not zero)              DECODE_FAILED
 *   4. sides from the header: too small / too large                IMAGE_TOO_SMALL / IMAGE_TOO_LARGE
 *   5. structural damage the browser would let through (PNG CRC,   DECODE_FAILED
 *      truncated BMP)
 * Decoding itself (and its failures, DECODE_FAILED) comes after. The compat layer turns each
 * code into the cloud's (src/compat/envelope.ts).
 */
export interface InputLimits {
  /** Formats accepted, sniffed from the bytes. */
  formats: readonly ImageFormat[];
  /** Largest file in bytes. */
  maxBytes: number;
  /** Each side must be greater than this. */
  minSideExclusive: number;
  /** Each side must be smaller than this. */
  maxSideExclusive: number;
  /** Most pixels (width × height) the decoder may allocate. */
  maxPixels: number;
}

/** The cloud contract (section 2): JPEG/PNG/BMP, ≤ 3 MB, each side > 10 px and < 2000 px. */
export const CLOUD_LIMITS: Readonly<InputLimits> = Object.freeze({
  formats: Object.freeze(['jpeg', 'png', 'bmp'] as ImageFormat[]),
  maxBytes: 3 * 1024 * 1024,
  minSideExclusive: 10,
  maxSideExclusive: 2000,
  maxPixels: 1999 * 1999,
});

/** Default side limit of the native API when no GPU limit is known (WebGPU devices commonly allow 8192–16384). */
export const NATIVE_MAX_SIDE = 16384;
/** Default pixel limit of the native API: 100 megapixels (400 MB of RGBA). */
export const NATIVE_MAX_PIXELS = 100_000_000;

/** The native API's limits: JPEG, PNG, BMP, WebP, GIF (first frame); no size limit; sides up to `maxSide`. */
export function nativeLimits(maxSide: number = NATIVE_MAX_SIDE, maxPixels: number = NATIVE_MAX_PIXELS): InputLimits {
  return {
    formats: ['jpeg', 'png', 'bmp', 'webp', 'gif'],
    maxBytes: Infinity,
    minSideExclusive: 0,
    maxSideExclusive: maxSide + 1,
    maxPixels,
  };
}

export interface ValidatedImage {
  bytes: Uint8Array;
  header: ImageHeader;
  /** MIME type of the sniffed format. */
  mime: string;
}

function formatList(formats: readonly ImageFormat[]): string {
  const names = formats.map((f) => (f === 'jpeg' ? 'JPEG' : f.toUpperCase()));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
}

function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(2)} MB`;
}

/** Step 1: the sniffed type must be one of `limits.formats`. */
export function checkType(head: Uint8Array, size: number, limits: InputLimits): ImageFormat {
  const list = formatList(limits.formats);
  if (size === 0) throw new FaceReshapeError('UNSUPPORTED_FORMAT', `The image file is empty (0 bytes). Send the bytes of a ${list} file.`);
  const format = sniffFormat(head);
  if (!limits.formats.includes(format)) {
    throw new FaceReshapeError('UNSUPPORTED_FORMAT',
      `The file is ${describeFormat(format)} (judged from its first bytes, not its name); only ${list} files are supported. Convert it to JPEG or PNG and try again.`,
    );
  }
  return format;
}

/** Step 2: file size. */
export function checkSize(size: number, limits: InputLimits): void {
  if (size > limits.maxBytes) {
    throw new FaceReshapeError('FILE_TOO_LARGE',
      `The file is ${mb(size)} (${size} bytes); the limit is ${mb(limits.maxBytes)} (${limits.maxBytes} bytes). Resize it or save it as a JPEG with lower quality.`,
    );
  }
}

/** Steps 3–5 on the whole file. */
export function checkHeader(bytes: Uint8Array, format: ImageFormat, limits: InputLimits): ImageHeader {
  const header = readImageHeader(bytes, format);
  const name = format === 'jpeg' ? 'JPEG' : format.toUpperCase();
  if (!header) {
    throw new FaceReshapeError('DECODE_FAILED',
      `The ${name} file could not be decoded: its header (image size) is missing, cut off or malformed. The file is truncated or corrupt; export it again.`,
    );
  }
  const w = header.uprightWidth;
  const h = header.uprightHeight;
  if (w <= limits.minSideExclusive || h <= limits.minSideExclusive) {
    throw new FaceReshapeError('IMAGE_TOO_SMALL',
      `The image is ${w}×${h} px; each side must be larger than ${limits.minSideExclusive} px. Use a larger image.`,
    );
  }
  if (w >= limits.maxSideExclusive || h >= limits.maxSideExclusive || w * h > limits.maxPixels) {
    const most = limits.maxSideExclusive - 1;
    throw new FaceReshapeError(
      'IMAGE_TOO_LARGE',
      `The image is ${w}×${h} px (read from its header, not decoded); each side must be at most ${most} px` +
        (limits.maxPixels < most * most ? ` and the image at most ${limits.maxPixels} pixels` : '') +
        `. Scale it down (e.g. to ${Math.min(most, 1920)} px on the longer side) and try again.`,
    );
  }
  const damage = findCorruption(bytes, format);
  if (damage) throw new FaceReshapeError('DECODE_FAILED', `The ${name} file could not be decoded: ${damage}. Export it again.`);
  return header;
}

/** All pre-decode checks on bytes in memory. */
export function validateEncodedBytes(bytes: Uint8Array, limits: InputLimits): ValidatedImage {
  const format = checkType(bytes.subarray(0, SNIFF_BYTES), bytes.length, limits);
  checkSize(bytes.length, limits);
  const header = checkHeader(bytes, format, limits);
  return { bytes, header, mime: mimeOf(format) };
}

/** All pre-decode checks on a Blob/File: sniffs its first bytes and checks its size before reading the rest. */
export async function validateEncodedBlob(blob: Blob, limits: InputLimits): Promise<ValidatedImage> {
  const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  const format = checkType(head, blob.size, limits);
  checkSize(blob.size, limits);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const header = checkHeader(bytes, format, limits);
  return { bytes, header, mime: mimeOf(format) };
}
