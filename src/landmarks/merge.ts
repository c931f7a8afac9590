import type { Face } from '../types.js';
import { boxContainment, boxIou } from './box.js';

/**
 * Adds `candidates` to `kept` unless they duplicate a kept face. Kept faces win (the full-image
 * pass comes first, so everything it finds stays as it found it).
 */
export function mergeFaces(kept: Face[], candidates: Face[], threshold = 0.3): Face[] {
  const out = kept.slice();
  for (const c of candidates) {
    if (out.some((k) => boxIou(k.box, c.box) > threshold || boxContainment(k.box, c.box) > 0.6)) continue;
    out.push(c);
  }
  return out;
}
