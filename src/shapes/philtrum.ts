import { mouthHalfWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 21 philtrum: the upper lip (0) moves up toward the nose base (2) by 16 % of d(2,0) (down by 14 % at negative strengths); the falloff
 * ends at 2, so the nose stays. Its plateau is 1.2 mouth widths across, so the corners rise with the
 * lip without moving sideways and the mouth keeps its width; the lower lip is mostly outside it
 * (unlike lip_height, which moves the whole mouth).
 */
export function philtrum(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const h = mouthHalfWidth(g);
  const d = g.dist(2, 0);
  // Lengthening (s < 0) moves less: pushed down, the corners' pixel motion reads as the mouth narrowing.
  const k = s > 0 ? 0.16 : 0.14;
  return [move(g, g.pt(0), 0, -k * s * d, 2.4 * h, 1.05 * d, 0.5)];
}
