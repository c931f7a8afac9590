import { mouthCentre, mouthHalfWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/** 18 lip_width: a horizontal pinch about the mouth centre; the plateau holds both corners so the lips keep their height. */
export function lip_width(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const h = mouthHalfWidth(g);
  // The landmark model re-fits a narrower mouth as a slightly thinner one (d(0,17) −1.5…−4 % at
  // +1 with no vertical motion at all); a 3 % vertical stretch at +1, fading to 0 at −1 (where
  // widening shows no such coupling), keeps the re-detected lip height within ±2 %.
  const ky = (0.03 * s * (1 + s)) / 2;
  return [scale(g, mouthCentre(g), -0.08 * s, ky, 1.6 * h, 0.22 * g.width, 0.55)];
}
