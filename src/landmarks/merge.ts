import type { Face } from '../types.js';

type Box = Face['box'];

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Overlap of a with b relative to the smaller box: catches a face found whole in one tile and cut in another. */
function containment(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const smaller = Math.min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]));
  return smaller > 0 ? (ix * iy) / smaller : 0;
}

/**
 * Adds `candidates` to `kept` unless they duplicate a kept face. Kept faces win (the full-image
 * pass comes first, so everything it finds stays as it found it).
 */
export function mergeFaces(kept: Face[], candidates: Face[], threshold = 0.3): Face[] {
  const out = kept.slice();
  for (const c of candidates) {
    if (out.some((k) => iou(k.box, c.box) > threshold || containment(k.box, c.box) > 0.6)) continue;
    out.push(c);
  }
  return out;
}
