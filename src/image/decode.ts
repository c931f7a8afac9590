import { FaceReshapeError } from '../errors.js';
import { sizeOf, type DecodedSource } from '../types.js';
import type { ImageFormat } from './sniff.js';
import { NATIVE_MAX_SIDE, nativeLimits, validateEncodedBlob, validateEncodedBytes, type InputLimits } from './validate.js';

/** Everything `reshape()` accepts. Encoded bytes are decoded with EXIF orientation applied. */
export type ReshapeSource =
  | Blob
  | ArrayBuffer
  | Uint8Array
  | ImageBitmap
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | OffscreenCanvas
  | VideoFrame;

export interface Decoded {
  image: DecodedSource;
  width: number;
  height: number;
  /** True when we created `image` (an ImageBitmap from bytes) and must close it. */
  owned: boolean;
  /** The sniffed format of encoded input (the output's default Blob type follows it); null for a decoded source. */
  format: ImageFormat | null;
}

function isVideo(s: ReshapeSource): s is HTMLVideoElement | VideoFrame {
  return (typeof HTMLVideoElement !== 'undefined' && s instanceof HTMLVideoElement) || (typeof VideoFrame !== 'undefined' && s instanceof VideoFrame);
}

function isEncoded(s: ReshapeSource): s is Blob | ArrayBuffer | Uint8Array {
  return (typeof Blob !== 'undefined' && s instanceof Blob) || s instanceof ArrayBuffer || ArrayBuffer.isView(s);
}

export interface DecodeOptions {
  /**
   * Pre-decode checks on encoded bytes (see validate.ts). Default: the native limits —
   * JPEG, PNG, BMP, WebP, GIF (first frame); sides up to `maxSide`.
   */
  limits?: InputLimits;
  /** Largest side accepted from a file header (a reshaper passes its device's maxTextureDimension2D). Default 16384. */
  maxSide?: number;
}

/**
 * Decodes bytes (EXIF orientation applied, no colour-space conversion, alpha not premultiplied, so
 * an unedited image comes back bit for bit) or passes a decoded source through.
 *
 * Encoded bytes are checked before decoding: the type is sniffed from the bytes (not the name or
 * MIME type; UNSUPPORTED_FORMAT), the dimensions are read from the header so an oversized image
 * (or a decompression bomb) is rejected without allocating it (IMAGE_TOO_LARGE), and damage the
 * browser would let through is caught (DECODE_FAILED).
 */
export async function decodeSource(source: ReshapeSource, options: DecodeOptions = {}): Promise<Decoded> {
  if (isEncoded(source)) {
    const limits = options.limits ?? nativeLimits(options.maxSide);
    const checked =
      source instanceof Blob
        ? await validateEncodedBlob(source, limits)
        : validateEncodedBytes(source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength), limits);
    const blob = new Blob([checked.bytes as BlobPart], { type: checked.mime });
    let bmp: ImageBitmap;
    try {
      // JPEG has no alpha, so premultiplying changes nothing, and Chromium's default path decodes it about twice as fast.
      const premultiplyAlpha = checked.header.format === 'jpeg' ? 'default' : 'none';
      bmp = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha, colorSpaceConversion: 'none' });
    } catch (cause) {
      const name = checked.header.format === 'jpeg' ? 'JPEG' : checked.header.format.toUpperCase();
      throw new FaceReshapeError('DECODE_FAILED',
        `The ${name} image (${checked.header.width}×${checked.header.height} px per its header) could not be decoded: the file is truncated or corrupt. Export it again as JPEG or PNG.`,
        { cause },
      );
    }
    return { image: bmp, width: bmp.width, height: bmp.height, owned: true, format: checked.header.format };
  }
  const { width, height } = sizeOf(source);
  if (!(width > 0 && height > 0)) {
    throw new FaceReshapeError('INVALID_ARGUMENT', `The image source has no pixels (${width}×${height}); wait until an <img>/<video> has loaded before reshaping it.`);
  }
  const maxSide = options.maxSide ?? NATIVE_MAX_SIDE;
  if (width > maxSide || height > maxSide) {
    throw new FaceReshapeError('IMAGE_TOO_LARGE', `The image is ${width}×${height} px; this device takes at most ${maxSide} px a side. Draw it scaled down (e.g. into a canvas) and reshape that.`);
  }
  if (isVideo(source)) {
    // A still of the frame shown now: a video moves on during the call, and uploading video
    // straight to WebGPU fails where the GPU is emulated (SwiftShader).
    const still = await createImageBitmap(source, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    return { image: still, width: still.width, height: still.height, owned: true, format: null };
  }
  return { image: source, width, height, owned: false, format: null };
}

/** RGBA pixels of any decoded source (for the CPU warp). ImageData passes through untouched. */
export function toImageData(s: DecodedSource, width: number, height: number): ImageData {
  if (s instanceof ImageData) return s;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new FaceReshapeError('INTERNAL', 'Could not get a 2D canvas context to read the image pixels.');
  ctx.drawImage(s as CanvasImageSource, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}
