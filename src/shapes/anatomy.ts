import type { FaceGeometry, Vec2 } from './frame.js';

/** Landmark groups shared by several shapes (MediaPipe face-mesh indices). */
export const EYES = [
  { outer: 33, inner: 133, upper: 159, lower: 145 },
  { outer: 263, inner: 362, upper: 386, lower: 374 },
] as const;

export type Eye = (typeof EYES)[number];

/** Centre of an eye: mean of its corners and lid midpoints. */
export function eyeCentre(g: FaceGeometry, e: Eye): Vec2 {
  return g.centroid([e.outer, e.inner, e.upper, e.lower]);
}

/** Eye width d(outer, inner): measured per eye, so it is already foreshortened on a turned face. */
export function eyeWidth(g: FaceGeometry, e: Eye): number {
  return g.dist(e.outer, e.inner);
}

/** Centre of the mouth: midpoint of the corners, at the height of the lip line. */
export function mouthCentre(g: FaceGeometry): Vec2 {
  return g.centroid([61, 291, 13, 14]);
}

/** Half the mouth width. */
export function mouthHalfWidth(g: FaceGeometry): number {
  return g.dist(61, 291) / 2;
}
