// Constant tensors that express the landmark refinement as dense linear
// algebra, so that it runs inside the TFLite graph with ops every delegate
// supports (FULLY_CONNECTED, MUL, ADD):
//
//   avg  = W_avg  · mesh                          (2 iris z values)
//   p    = [lips, left_eye, right_eye, left_iris, right_iris, avg]   (466)
//   out  = pad(mesh, 30) ⊙ keep + W_part · p      (1434 = 478 × 3)
//
// `keep` is 1 for mesh coordinates that no refinement overrides.
import {
  LEFT_EYE,
  LEFT_IRIS,
  LIPS,
  MESH_POINTS,
  REFINED_POINTS,
  RIGHT_EYE,
  RIGHT_IRIS,
} from './refine-indices';

export const MESH_LEN = MESH_POINTS * 3; // 1404
export const OUT_LEN = REFINED_POINTS * 3; // 1434
/** xy of all refinement outputs (464) followed by the two iris z averages. */
export const PART_LEN = 2 * (LIPS.length + LEFT_EYE.length + RIGHT_EYE.length + 10) + 2; // 466

export interface RefineMatrices {
  /** [2, 1404] row-major: mean z of each eye contour. */
  wAvg: Float32Array;
  /** [1434, 466] row-major 0/1 selection of refined values. */
  wPart: Float32Array;
  /** [1434]: 1 where the mesh value passes through unchanged. */
  keep: Float32Array;
}

/**
 * For each output coordinate, the column of `p` it comes from (-1 = mesh).
 * Refinements are applied in pbtxt order, so a later one wins, exactly like
 * LandmarksRefinementCalculator.
 */
function partSources(): Int32Array {
  const source = new Int32Array(OUT_LEN).fill(-1);
  let col = 0;
  const xyParts: readonly (readonly number[])[] = [LIPS, LEFT_EYE, RIGHT_EYE, LEFT_IRIS.indices, RIGHT_IRIS.indices];
  for (const targets of xyParts) {
    for (const t of targets) {
      source[t * 3] = col++;
      source[t * 3 + 1] = col++;
    }
  }
  for (const t of LEFT_IRIS.indices) source[t * 3 + 2] = col;
  for (const t of RIGHT_IRIS.indices) source[t * 3 + 2] = col + 1;
  return source;
}

export function buildRefineMatrices(): RefineMatrices {
  const wAvg = new Float32Array(2 * MESH_LEN);
  [LEFT_IRIS.zAverageOf, RIGHT_IRIS.zAverageOf].forEach((contour, row) => {
    for (const i of contour) wAvg[row * MESH_LEN + i * 3 + 2] = 1 / contour.length;
  });
  const source = partSources();
  const wPart = new Float32Array(OUT_LEN * PART_LEN);
  const keep = new Float32Array(OUT_LEN);
  for (let r = 0; r < OUT_LEN; r++) {
    if (source[r] >= 0) wPart[r * PART_LEN + source[r]] = 1;
    else if (r < MESH_LEN) keep[r] = 1;
  }
  return { wAvg, wPart, keep };
}

/** The refinement computed with the matrices, as the graph does (for tests). */
export function applyRefineMatrices(m: RefineMatrices, mesh: Float32Array, parts: Float32Array[]): Float32Array {
  const avg = [0, 1].map((row) => dot(m.wAvg, row * MESH_LEN, mesh, MESH_LEN));
  const p = Float32Array.from([...parts.flatMap((x) => [...x]), ...avg]);
  const out = new Float32Array(OUT_LEN);
  for (let r = 0; r < OUT_LEN; r++) {
    out[r] = (r < MESH_LEN ? mesh[r] * m.keep[r] : 0) + dot(m.wPart, r * PART_LEN, p, PART_LEN);
  }
  return out;
}

function dot(w: Float32Array, offset: number, v: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += w[offset + i] * v[i];
  return s;
}
