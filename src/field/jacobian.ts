import type { DisplacementField, FieldRegion } from './types.js';

/**
 * Jacobian of the backward map φ(p) = p + d(p) as the warps see it: d is bilinear inside each
 * grid cell, so det Dφ is affine in the cell's local (s, t) (the s·t terms cancel) and its
 * extremes over the cell are at the four corners, each computed from the cell's own edges.
 * Checking those four per cell is therefore exact for the interpolated field, not a sample.
 *
 * Fold guard: scaling a region's field by α gives det(I + αG) = 1 + α tr G + α² det G at every
 * corner, a quadratic with value 1 at α = 0. The largest α ≤ 1 that keeps every corner ≥ minDet
 * is the smallest positive root over all corners: closed form, one pass, no bisection. Scaling
 * the whole region keeps it smooth (no tearing, no seams), at the cost of weakening all its edits
 * evenly when one place would fold; the shapes are tuned so that this is rare.
 */

/** Largest α in (0, 1] such that det(I + α G) ≥ m for all of [0, α], with G = [[a, b], [c, e]]. */
function safeAlpha(a: number, b: number, c: number, e: number, m: number): number {
  const tr = a + e;
  const D = a * e - b * c;
  const k = 1 - m; // h(α) = D α² + tr α + k, h(0) = k > 0
  let best = Infinity;
  if (D === 0) {
    if (tr < 0) best = k / -tr;
  } else {
    const disc = tr * tr - 4 * D * k;
    if (disc >= 0) {
      const q = -0.5 * (tr + (tr >= 0 ? 1 : -1) * Math.sqrt(disc));
      const r1 = q / D;
      const r2 = q !== 0 ? k / q : Infinity;
      if (r1 > 0 && r1 < best) best = r1;
      if (r2 > 0 && r2 < best) best = r2;
    }
  }
  return best;
}

/**
 * Visits the four corner Jacobians of every cell of a region: cb(a, b, c, e) with
 * G = [[∂dx/∂x, ∂dx/∂y], [∂dy/∂x, ∂dy/∂y]]. Cells whose four nodes are zero are skipped.
 */
function forEachCorner(data: ArrayLike<number>, r: FieldRegion, cb: (a: number, b: number, c: number, e: number) => void): void {
  const inv = 1 / r.cell;
  const cols = r.cols;
  for (let j = 0; j + 1 < r.rows; j++) {
    for (let i = 0; i + 1 < cols; i++) {
      const n00 = (r.offset + j * cols + i) * 2;
      const n10 = n00 + 2;
      const n01 = n00 + cols * 2;
      const n11 = n01 + 2;
      const x00 = data[n00], y00 = data[n00 + 1];
      const x10 = data[n10], y10 = data[n10 + 1];
      const x01 = data[n01], y01 = data[n01 + 1];
      const x11 = data[n11], y11 = data[n11 + 1];
      if (x00 === 0 && y00 === 0 && x10 === 0 && y10 === 0 && x01 === 0 && y01 === 0 && x11 === 0 && y11 === 0) continue;
      // Horizontal edges (top, bottom) and vertical edges (left, right), as derivatives.
      const tX = (x10 - x00) * inv, tY = (y10 - y00) * inv;
      const bX = (x11 - x01) * inv, bY = (y11 - y01) * inv;
      const lX = (x01 - x00) * inv, lY = (y01 - y00) * inv;
      const rX = (x11 - x10) * inv, rY = (y11 - y10) * inv;
      cb(tX, lX, tY, lY); // corner (0,0)
      cb(tX, rX, tY, rY); // corner (1,0)
      cb(bX, lX, bY, lY); // corner (0,1)
      cb(bX, rX, bY, rY); // corner (1,1)
    }
  }
}

/** Minimum Jacobian determinant of p ↦ p + d(p) over one region (1 where the field is zero). */
export function regionMinDet(field: DisplacementField, r: FieldRegion): number {
  let min = 1;
  forEachCorner(field.data, r, (a, b, c, e) => {
    const det = (1 + a) * (1 + e) - b * c;
    if (det < min) min = det;
  });
  return min;
}

/** Minimum Jacobian determinant over the whole field (1 for an empty field). */
export function minJacobianDet(field: DisplacementField): number {
  let min = 1;
  for (const r of field.regions) min = Math.min(min, regionMinDet(field, r));
  return min;
}

/** Largest α ≤ 1 such that α·d keeps det ≥ minDet on the region. */
export function regionFoldScale(data: ArrayLike<number>, r: FieldRegion, minDet: number): number {
  let alpha = 1;
  forEachCorner(data, r, (a, b, c, e) => {
    const s = safeAlpha(a, b, c, e, minDet);
    if (s < alpha) alpha = s;
  });
  return alpha;
}

/**
 * Scales each region's field down (in place) where needed so that det ≥ minDet everywhere.
 * Returns the factor applied per region (1 = untouched).
 */
export function guardFolds(field: DisplacementField, minDet = 0.25): number[] {
  return field.regions.map((r) => {
    let alpha = regionFoldScale(field.data, r, minDet);
    if (alpha >= 1) return 1;
    alpha *= 0.999; // float32 rounding margin
    const from = r.offset * 2;
    const to = (r.offset + r.cols * r.rows) * 2;
    for (let k = from; k < to; k++) field.data[k] *= alpha;
    return alpha;
  });
}
