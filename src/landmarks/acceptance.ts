import type { NormalizedLandmark } from '@mediapipe/tasks-vision';
import type { Face, Point3 } from '../types.js';

/**
 * When a candidate counts as a face: two tests, both measured on the labelled detection set
 * (test/data/detection/README.md has the numbers and the precision/recall curve).
 *
 * 1. Its score, the plain face mesh's face flag. Everything the task returns passed the larger of
 *    the ensemble's two flags (the task's own presence gate). On the negatives that is nearly
 *    always the attention mesh's flag alone (a pig's snout, a dumper's cab, a motorcycle's tank:
 *    attention logit +1…+9, plain logit −2…−9), while on every labelled face the plain flag stays
 *    positive, turned faces included, where the attention flag collapses (face15: −1.3; face16's
 *    player turned 46°: −1.1). The attention flag adds nothing to the plain one.
 * 2. A second look (below): what a score alone let through (a ferret, a lake's reflection) is not
 *    found again in the same place in a crop around it.
 */

/** Default `minFaceConfidence`: see test/data/detection/README.md for the precision/recall curve. */
export const DEFAULT_MIN_FACE_CONFIDENCE = 0.65;

/**
 * Landmark indices whose `visibility` carries the face-flag logits in our bundle: the attention
 * mesh's and the plain mesh's. The model build (scripts/model/face-flags-graph.ts) writes them there.
 */
export const FLAG_POINTS = { attention: 0, plain: 1 } as const;

/**
 * The face score of one landmarker result, in [0, 1]: the plain mesh's face flag after the sigmoid.
 * NaN for a bundle that reports no flags (Google's official one: every visibility is 0), whose
 * faces passed that bundle's own presence threshold and nothing more is known.
 */
export function faceConfidence(landmarks: readonly NormalizedLandmark[]): number {
  const attention = landmarks[FLAG_POINTS.attention]?.visibility ?? 0;
  const plain = landmarks[FLAG_POINTS.plain]?.visibility ?? 0;
  if (attention === 0 && plain === 0) return NaN;
  return 1 / (1 + Math.exp(-plain));
}

/** Faces below the threshold fail; a face without a score (NaN) passes. */
export function passes(face: Face, minConfidence: number): boolean {
  return !(face.confidence < minConfidence);
}

/**
 * Second look: a square crop SECOND_LOOK_SCALE × the candidate's size around it is shown to the
 * detector again, a different view than the full image's or the tile's. A real face is found again
 * in the same place (mean landmark shift ≤ 5 % of the face's size on every labelled face); what
 * fooled the detector once is found elsewhere or not at all (a lake's reflection: 70 %, a doll:
 * 17 %, a dumper's cab: 33 %; a ferret, a kiwi, a pig: nothing).
 */
export const SECOND_LOOK_SCALE = 3;
/**
 * Side (px) every second look's crop is drawn at, whatever its size in the image: the face is then
 * about 128 px, enough for the landmark model, and the landmarker sees one image size for all looks
 * (each change of input size costs it a re-allocation, as much as the look itself).
 */
export const SECOND_LOOK_SIDE = 384;
export const MAX_SECOND_LOOK_SHIFT = 0.08;

/** The face of `second` that is `first` seen again, or null. */
export function sameFace(first: Face, second: readonly Face[]): Face | null {
  const size = Math.max(first.box[2] - first.box[0], first.box[3] - first.box[1]);
  let best: Face | null = null;
  let bestShift = MAX_SECOND_LOOK_SHIFT * size;
  for (const f of second) {
    const shift = meanShift(first.landmarks, f.landmarks);
    if (shift <= bestShift) [best, bestShift] = [f, shift];
  }
  return best;
}

function meanShift(a: readonly Point3[], b: readonly Point3[]): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.hypot(a[i][0] - b[i][0], a[i][1] - b[i][1]);
  return n > 0 ? sum / n : Infinity;
}
