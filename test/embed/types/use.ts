// A consumer's TypeScript: the library's types must be real types (strict, skipLibCheck: false).
import { FaceReshaper, FaceReshapeError, SHAPE_NAMES, type Face, type ReshapeResult } from 'webgpu-face-reshape';
import { facialAesthetics, type FacialAestheticsEnvelope } from 'webgpu-face-reshape/compat';

export async function slim(device: GPUDevice, file: File): Promise<ReshapeResult<ImageBitmap>> {
  const reshaper = await FaceReshaper.createWithDevice(device, { maxFaces: 2 });
  try {
    return await reshaper.reshape(file, { edits: [{ shape: SHAPE_NAMES[2], strength: 0.5 }], output: 'imageBitmap' });
  } finally {
    reshaper.close();
  }
}

export function widths(faces: Face[]): number[] {
  return faces.map((f) => f.box[2] - f.box[0]);
}

export async function cloud(image: Blob): Promise<string> {
  const env: FacialAestheticsEnvelope = await facialAesthetics({ image, shape_type: 2, strength: 0.8 });
  return env.data?.image_url ?? env.error_detail.code;
}

export function codeOf(e: unknown): string | null {
  return e instanceof FaceReshapeError ? e.code : null;
}
