import type { Primitive } from '../shapes/primitives.js';
import { evalForward } from './forward.js';
import { invert } from './invert.js';
import { guardFolds } from './jacobian.js';
import { planField, type FieldItem, type PlanOptions } from './plan.js';
import type { FieldScratch } from './scratch.js';
import type { DisplacementField } from './types.js';

export interface BuildOptions extends PlanOptions {
  /** Reuse these arrays (per-frame builds allocate nothing large); the field is valid until the next build with it. */
  scratch?: FieldScratch;
}

export interface BuildInfo {
  field: DisplacementField;
  /** Fold-guard factor applied to each region (1 = the edits as designed). */
  scales: number[];
  /** Primitives per region, after the locality clamp (for tests and debugging). */
  primitives: Primitive[][];
}

/**
 * Builds ONE backward displacement field for all edits of all faces (one warp pass), on the CPU;
 * src/field/gpu-build.ts evaluates the same plan in three compute passes.
 *
 * - Plan (plan.ts): each edit's primitives, clamped for locality (nothing farther than 0.5 × face
 *   width from the landmark hull moves, bilinear spread included), on a coarse node grid over
 *   each face's region of influence only; overlapping regions merged so faces blend without seams.
 * - Forward motion (forward.ts) of the primitives on the nodes, stacked compressions saturated.
 * - Inversion (invert.ts) into the backward displacement the warp samples with.
 * - Fold guard (jacobian.ts): a region is scaled down where a Jacobian determinant would drop below minDet.
 */
export function buildFieldWithInfo(width: number, height: number, items: readonly FieldItem[], options: BuildOptions = {}): BuildInfo {
  const plan = planField(width, height, items, options);
  const { regions, groups } = plan;
  const total = regions.reduce((n, r) => n + r.cols * r.rows, 0);
  const scratch = options.scratch;
  const f64 = scratch ? (key: string, n: number) => scratch.float64(key, n) : (_key: string, n: number) => new Float64Array(n);
  const data = scratch ? scratch.float32(total * 2) : new Float32Array(total * 2);
  groups.forEach((gr, k) => {
    const r = regions[k];
    const n = r.cols * r.rows;
    const fx = f64('fx', n);
    const fy = f64('fy', n);
    evalForward(r, gr.prims, gr.face, gr.edit, fx, fy, plan.squeezeCap, f64);
    invert(r, fx, fy, data, r.offset, plan.iterations);
  });
  const field: DisplacementField = { width, height, regions, data };
  const scales = plan.minDet > 0 ? guardFolds(field, plan.minDet) : regions.map(() => 1);
  return { field, scales, primitives: groups.map((gr) => gr.prims) };
}

/** See buildFieldWithInfo. */
export function buildField(width: number, height: number, items: readonly FieldItem[], options?: BuildOptions): DisplacementField {
  return buildFieldWithInfo(width, height, items, options).field;
}
