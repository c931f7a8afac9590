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

/** The 16 contour landmarks of each eye (lids and corners), in EYES order. */
export const EYE_CONTOURS = [
  [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
  [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
] as const;

/** Centre of the eye opening: mean of its 16 contour landmarks. */
export function eyeOpeningCentre(g: FaceGeometry, e: Eye): Vec2 {
  return g.centroid(EYE_CONTOURS[e === EYES[0] ? 0 : 1]);
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
