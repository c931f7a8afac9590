import { FaceReshapeError } from '../errors.js';

export type OutputKind = 'imageData' | 'imageBitmap' | 'canvas' | 'blob';
export type OutputOf<K extends OutputKind> = K extends 'imageData'
  ? ImageData
  : K extends 'imageBitmap'
    ? ImageBitmap
    : K extends 'canvas'
      ? OffscreenCanvas
      : Blob;

export interface EncodeOptions {
  blobType?: 'image/png' | 'image/jpeg';
  quality?: number;
}

/** Converts finished pixels into the kind of image the caller asked for. */
export async function encodeImageData<K extends OutputKind>(data: ImageData, kind: K, opts: EncodeOptions = {}): Promise<OutputOf<K>> {
  switch (kind) {
    case 'imageData':
      return data as OutputOf<K>;
    case 'imageBitmap':
      return (await createImageBitmap(data, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' })) as OutputOf<K>;
    case 'canvas':
      return toCanvas(data) as OutputOf<K>;
    case 'blob': {
      const type = opts.blobType ?? 'image/png';
      return (await toCanvas(data).convertToBlob({ type, quality: type === 'image/jpeg' ? (opts.quality ?? 0.92) : undefined })) as OutputOf<K>;
    }
    default:
      throw new FaceReshapeError('INVALID_ARGUMENT', `output must be 'imageData', 'imageBitmap', 'canvas' or 'blob'; got ${JSON.stringify(kind)}.`);
  }
}

function toCanvas(data: ImageData): OffscreenCanvas {
  const canvas = new OffscreenCanvas(data.width, data.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new FaceReshapeError('INTERNAL', 'Could not get a 2D canvas context for the output.');
  ctx.putImageData(data, 0, 0);
  return canvas;
}
