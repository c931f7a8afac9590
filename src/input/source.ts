import { FaceReshapeError } from '../errors';

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

/** A decoded, upright source ready for detection and upload. */
export type DecodedSource = ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas | VideoFrame;

export interface Decoded {
  image: DecodedSource;
  width: number;
  height: number;
  /** True when we created `image` (an ImageBitmap from bytes) and must close it. */
  owned: boolean;
}

function isEncoded(s: ReshapeSource): s is Blob | ArrayBuffer | Uint8Array {
  return (typeof Blob !== 'undefined' && s instanceof Blob) || s instanceof ArrayBuffer || ArrayBuffer.isView(s);
}

/**
 * Decodes bytes (EXIF orientation applied, no colour-space conversion, alpha not premultiplied, so
 * an unedited image comes back bit for bit) or passes a decoded source through.
 */
export async function decodeSource(source: ReshapeSource): Promise<Decoded> {
  if (isEncoded(source)) {
    const blob = source instanceof Blob ? source : new Blob([source as BlobPart]);
    if (blob.size === 0) throw new FaceReshapeError('UNSUPPORTED_FILE_TYPES', 'The image is empty (0 bytes). Pass the bytes of a JPEG, PNG, BMP, WebP or GIF file.');
    let bmp: ImageBitmap;
    try {
      bmp = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    } catch (cause) {
      throw new FaceReshapeError(
        'FILE_DECODING_FAILURE',
        'The image bytes could not be decoded (truncated or corrupt file, or a format this browser cannot read). Re-export the image as JPEG or PNG.',
        { cause },
      );
    }
    return { image: bmp, width: bmp.width, height: bmp.height, owned: true };
  }
  const { width, height } = sizeOf(source);
  if (!(width > 0 && height > 0)) {
    throw new FaceReshapeError('ERROR_INVALID_PARAMETER', `The image source has no pixels (${width}×${height}); wait until an <img>/<video> has loaded before reshaping it.`);
  }
  return { image: source, width, height, owned: false };
}

export function sizeOf(s: DecodedSource): { width: number; height: number } {
  if (typeof VideoFrame !== 'undefined' && s instanceof VideoFrame) return { width: s.displayWidth, height: s.displayHeight };
  if (typeof HTMLVideoElement !== 'undefined' && s instanceof HTMLVideoElement) return { width: s.videoWidth, height: s.videoHeight };
  if (typeof HTMLImageElement !== 'undefined' && s instanceof HTMLImageElement) return { width: s.naturalWidth, height: s.naturalHeight };
  return { width: (s as { width: number }).width, height: (s as { height: number }).height };
}

/** RGBA pixels of any decoded source (for the CPU warp). ImageData passes through untouched. */
export function toImageData(s: DecodedSource, width: number, height: number): ImageData {
  if (s instanceof ImageData) return s;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new FaceReshapeError('SERVICE_INTERNAL_ERROR', 'Could not get a 2D canvas context to read the image pixels.');
  ctx.drawImage(s as CanvasImageSource, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}
