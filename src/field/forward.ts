import { falloff, type Primitive } from '../shapes/primitives.js';
import { primitiveBounds, SQUEEZE_CAP } from './plan.js';
import type { FieldRegion } from './types.js';

/**
 * The forward motion of a field's primitives on its node grid (shaders/field-forward.wgsl does
 * the same on the GPU): content at p moves to p + f(p).
 */

/** Inclusive node ranges [ia, ib, ja, jb] a list of primitives can touch (inner nodes only; empty when ib < ia). */
function nodeBox(r: Omit<FieldRegion, 'offset'>, prims: readonly Primitive[]): [number, number, number, number] {
  const { x0, y0, cell, cols, rows } = r;
  let ia = cols;
  let ib = -1;
  let ja = rows;
  let jb = -1;
  for (const p of prims) {
    const b = primitiveBounds(p);
    ia = Math.min(ia, Math.max(1, Math.ceil((b[0] - x0) / cell)));
    ib = Math.max(ib, Math.min(cols - 2, Math.floor((b[2] - x0) / cell)));
    ja = Math.min(ja, Math.max(1, Math.ceil((b[1] - y0) / cell)));
    jb = Math.max(jb, Math.min(rows - 2, Math.floor((b[3] - y0) / cell)));
  }
  return [ia, ib, ja, jb];
}

/**
 * Adds primitive p's forward motion at the region's nodes into (fx, fy), and, when `ks` is given,
 * its weighted compression rate w · p.squeeze into ks. Only the nodes inside p's bounds are visited.
 */
function accumulate(r: Omit<FieldRegion, 'offset'>, p: Primitive, fx: Float64Array, fy: Float64Array, ks?: Float64Array): void {
  const { x0, y0, cell, cols } = r;
  const [ia, ib, ja, jb] = nodeBox(r, [p]);
  const irx = 1 / p.rx;
  const iry = 1 / p.ry;
  const sq = p.squeeze ?? 0;
  for (let j = ja; j <= jb; j++) {
    const qy = y0 + j * cell - p.cy;
    for (let i = ia; i <= ib; i++) {
      const qx = x0 + i * cell - p.cx;
      const a = (p.e1x * qx + p.e1y * qy) * irx;
      const c = (p.e2x * qx + p.e2y * qy) * iry;
      const w = falloff(a * a + c * c, p.inner);
      if (w === 0) continue;
      const k = j * cols + i;
      fx[k] += (p.tx + p.a11 * qx + p.a12 * qy) * w;
      fy[k] += (p.ty + p.a21 * qx + p.a22 * qy) * w;
      if (ks) ks[k] += sq * w;
    }
  }
}

/**
 * Saturation of stacked compressions: K = Σ K_e is the summed compression rate of a face's
 * edits at a node, m = (Σ K_e⁴)^¼ a smooth maximum of the single edits' rates (= K_e exactly when
 * one edit is active). The effective rate is m + h · tanh((K − m) / h) with h = cap − m: equal to
 * K while edits barely overlap, never above max(cap, m), smooth (C^∞ in K and m). One edit alone
 * is therefore unchanged, and a combination never compresses more than the cap (or its strongest
 * member). Returns the factor K_eff / K applied to the summed compression motion.
 */
export function squeezeFactor(K: number, m: number, cap = SQUEEZE_CAP): number {
  if (!(K > 0)) return 1;
  const extra = K - m;
  if (extra <= 1e-12) return 1;
  const h = cap - m;
  if (h <= 0) return m / K;
  return (m + h * Math.tanh(extra / h)) / K;
}

/**
 * Evaluates the forward motion f (content at p moves to p + f(p)) of all primitives on the
 * region's nodes. Ordinary primitives add up. Lateral compressions (`Primitive.squeeze`) add up
 * per face and are then scaled pointwise by `squeezeFactor`, so stacked contour edits saturate
 * smoothly instead of folding; `face[i]` and `edit[i]` identify primitive i's face and edit.
 */
export function evalForward(
  r: Omit<FieldRegion, 'offset'>,
  prims: readonly Primitive[],
  face: readonly number[],
  edit: readonly number[],
  fx: Float64Array,
  fy: Float64Array,
  cap: number,
  f64: (key: string, n: number) => Float64Array,
): void {
  const byFace = new Map<number, Map<number, Primitive[]>>();
  prims.forEach((p, i) => {
    if (!p.squeeze) {
      accumulate(r, p, fx, fy);
      return;
    }
    let m = byFace.get(face[i]);
    if (!m) byFace.set(face[i], (m = new Map()));
    const list = m.get(edit[i]);
    if (list) list.push(p);
    else m.set(edit[i], [p]);
  });
  if (!byFace.size) return;
  const n = r.cols * r.rows;
  const cols = r.cols;
  const bx = f64('bx', n);
  const by = f64('by', n);
  const K = f64('K', n);
  const P4 = f64('P4', n);
  const ke = f64('ke', n);
  // Every loop below runs over the node box its primitives can touch, not the whole region:
  // the contour bands of one edit cover a fraction of a multi-face or all-shapes grid.
  const clear = (a: Float64Array, [ia, ib, ja, jb]: number[]) => {
    for (let j = ja; j <= jb; j++) a.fill(0, j * cols + ia, j * cols + ib + 1);
  };
  for (const edits of byFace.values()) {
    const faceBox = nodeBox(r, [...edits.values()].flat());
    for (const a of [bx, by, K, P4]) clear(a, faceBox);
    for (const list of edits.values()) {
      const box = nodeBox(r, list);
      clear(ke, box);
      for (const p of list) accumulate(r, p, bx, by, ke);
      for (let j = box[2]; j <= box[3]; j++) {
        for (let k = j * cols + box[0], end = j * cols + box[1]; k <= end; k++) {
          const v = ke[k];
          if (v === 0) continue;
          K[k] += v;
          const v2 = v * v;
          P4[k] += v2 * v2;
        }
      }
    }
    for (let j = faceBox[2]; j <= faceBox[3]; j++) {
      for (let k = j * cols + faceBox[0], end = j * cols + faceBox[1]; k <= end; k++) {
        if (bx[k] === 0 && by[k] === 0) continue;
        const f = squeezeFactor(K[k], Math.sqrt(Math.sqrt(P4[k])), cap);
        fx[k] += bx[k] * f;
        fy[k] += by[k] * f;
      }
    }
  }
}

