import type { PageFace } from './page-fns';

export function fromB64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** Mean and max absolute difference over RGB(A) channels. */
export function diffStats(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

export function faceWidth(f: PageFace): number {
  const a = f.landmarks[234];
  const b = f.landmarks[454];
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Mean abs difference inside the faces' boxes. */
export function diffInBox(a: Uint8Array, b: Uint8Array, width: number, box: number[]): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.max(0, Math.floor(box[1])); y < Math.ceil(box[3]); y++) {
    for (let x = Math.max(0, Math.floor(box[0])); x < Math.min(width, Math.ceil(box[2])); x++) {
      const i = (y * width + x) * 4;
      sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
      n += 3;
    }
  }
  return n ? sum / n : 0;
}
