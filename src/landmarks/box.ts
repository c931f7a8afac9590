import type { Face, Point3 } from '../types.js';

/** Writes the axis-aligned box of the first `count` landmarks into `out` ([x0, y0, x1, y1]) and returns it. */
export function landmarkBox(landmarks: readonly Point3[], out: Face['box'], count = landmarks.length): Face['box'] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < count; i++) {
    const p = landmarks[i];
    if (p[0] < x0) x0 = p[0];
    if (p[1] < y0) y0 = p[1];
    if (p[0] > x1) x1 = p[0];
    if (p[1] > y1) y1 = p[1];
  }
  out[0] = x0;
  out[1] = y0;
  out[2] = x1;
  out[3] = y1;
  return out;
}
