import { mouthHalfWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 21 philtrum: the upper lip (0) moves up toward the nose base (2); the falloff ends at 2, so the
 * nose stays. It is wide across so the mouth corners rise with the lip and the mouth keeps its width;
 * the lower lip is mostly outside it (unlike lip_height, which moves the whole mouth).
 */
export function philtrum(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const h = mouthHalfWidth(g);
  const d = g.dist(2, 0);
  return [move(g, g.pt(0), 0, -0.15 * s * d, 1.8 * h, 1.05 * d, 0.3)];
}
