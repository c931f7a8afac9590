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

/** Intersection over union of two [x0, y0, x1, y1] boxes. */
export function boxIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const inter = intersection(a, b);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Intersection over the smaller box: catches a face found whole in one tile and cut in another. */
export function boxContainment(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const smaller = Math.min(area(a), area(b));
  return smaller > 0 ? intersection(a, b) / smaller : 0;
}

function area(b: ArrayLike<number>): number {
  return (b[2] - b[0]) * (b[3] - b[1]);
}

function intersection(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ix = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const iy = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return ix > 0 && iy > 0 ? ix * iy : 0;
}
