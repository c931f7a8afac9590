import type { FaceGeometry } from './frame.js';
import { pairInward, type Primitive } from './primitives.js';

/**
 * 0 cheekbone: narrows the zygomatic width. The widest contour points 234/454 move toward
 * each other; the falloff is taller than wide so the whole cheekbone arc (127…93) follows
 * smoothly and the temples and jaw stay put.
 */
export function cheekbone(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return pairInward(g, 234, 454, 0.05 * s, 0.22, 0.3);
}
