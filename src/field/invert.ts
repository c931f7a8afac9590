import { cellOf, clampToGrid } from './grid.js';
import type { FieldRegion } from './types.js';

/**
 * Forward motion f and its Jacobian at grid position (gx, gy) (in cells), bilinear between nodes.
 * Writes [fx, fy, ∂fx/∂x, ∂fx/∂y, ∂fy/∂x, ∂fy/∂y] (per pixel) into o; only [fx, fy] without
 * `jacobian` (the fixed-point steps need no more).
 */
function sampleForward(r: Omit<FieldRegion, 'offset'>, fx: Float64Array, fy: Float64Array, gx: number, gy: number, o: Float64Array, jacobian = true): void {
  const { cell, cols, rows } = r;
  gx = clampToGrid(gx, cols);
  gy = clampToGrid(gy, rows);
  const ix = cellOf(gx, cols);
  const iy = cellOf(gy, rows);
  const sx = gx - ix;
  const sy = gy - iy;
  const k00 = iy * cols + ix;
  const k01 = k00 + cols;
  const ax = fx[k00], bx = fx[k00 + 1], cx = fx[k01], dx = fx[k01 + 1];
  const ay = fy[k00], by = fy[k00 + 1], cy = fy[k01], dy = fy[k01 + 1];
  o[0] = ax * (1 - sx) * (1 - sy) + bx * sx * (1 - sy) + cx * (1 - sx) * sy + dx * sx * sy;
  o[1] = ay * (1 - sx) * (1 - sy) + by * sx * (1 - sy) + cy * (1 - sx) * sy + dy * sx * sy;
  if (!jacobian) return;
  const inv = 1 / cell;
  o[2] = ((bx - ax) * (1 - sy) + (dx - cx) * sy) * inv;
  o[3] = ((cx - ax) * (1 - sx) + (dx - bx) * sx) * inv;
  o[4] = ((by - ay) * (1 - sy) + (dy - cy) * sy) * inv;
  o[5] = ((cy - ay) * (1 - sx) + (dy - by) * sx) * inv;
}

/**
 * Inverts the forward motion into the backward displacement: d(p) = −f(p + d(p)), solved per
 * node by fixed-point iteration from d = −f(p), with f bilinearly interpolated between nodes.
 * The iteration contracts at rate |∇f|, so for ordinary fields a few steps put each landmark
 * where its edit sends it. Where the forward map stretches steeply (|∇f| ≥ 1, e.g. the
 * background beside several stacked contour edits) the fixed point does not converge although
 * the map is still one-to-one (det(I + ∇f) > 0); there Newton's method on p + d + f(p + d) = 0,
 * with backtracking, finishes the job. Where f is zero around a node, d stays exactly zero, so
 * the field's support never grows.
 */
export function invert(r: Omit<FieldRegion, 'offset'>, fx: Float64Array, fy: Float64Array, out: Float32Array, base: number, iterations: number): void {
  const { cell, cols, rows } = r;
  const inv = 1 / cell;
  const maxI = cols - 1;
  const maxJ = rows - 1;
  const o = new Float64Array(6);
  // Residual of the backward equation at node (i, j) for displacement (dx, dy): d + f(p + d).
  const residual = (i: number, j: number, dx: number, dy: number): number => {
    sampleForward(r, fx, fy, i + dx * inv, j + dy * inv, o);
    return Math.hypot(dx + o[0], dy + o[1]);
  };
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const k = j * cols + i;
      let dx = -fx[k];
      let dy = -fy[k];
      if (dx === 0 && dy === 0) continue;
      const d0x = dx;
      const d0y = dy;
      for (let it = 0; it < iterations; it++) {
        sampleForward(r, fx, fy, i + dx * inv, j + dy * inv, o, false);
        dx = -o[0];
        dy = -o[1];
      }
      let res = residual(i, j, dx, dy);
      if (res > 1e-3 * cell) {
        const res0 = residual(i, j, d0x, d0y);
        if (res0 < res) {
          dx = d0x;
          dy = d0y;
          res = res0;
        }
        for (let it = 0; it < 30 && res > 1e-4 * cell; it++) {
          sampleForward(r, fx, fy, i + dx * inv, j + dy * inv, o);
          const rx = dx + o[0];
          const ry = dy + o[1];
          const a = 1 + o[2], b = o[3], c = o[4], e = 1 + o[5];
          const det = a * e - b * c;
          if (!(Math.abs(det) > 1e-9)) break;
          const sx = (e * rx - b * ry) / det;
          const sy = (a * ry - c * rx) / det;
          let t = 1;
          let next = res;
          for (; t > 1 / 64; t *= 0.5) {
            next = residual(i, j, dx - t * sx, dy - t * sy);
            if (next < res) break;
          }
          if (!(next < res)) break;
          dx -= t * sx;
          dy -= t * sy;
          res = next;
        }
      }
      out[(base + k) * 2] = dx;
      out[(base + k) * 2 + 1] = dy;
    }
  }
  // The outer ring is zero by construction (it lies outside every primitive's bounds); make it exact.
  for (let i = 0; i < cols; i++) {
    out[(base + i) * 2] = out[(base + i) * 2 + 1] = 0;
    out[(base + maxJ * cols + i) * 2] = out[(base + maxJ * cols + i) * 2 + 1] = 0;
  }
  for (let j = 0; j < rows; j++) {
    out[(base + j * cols) * 2] = out[(base + j * cols) * 2 + 1] = 0;
    out[(base + j * cols + maxI) * 2] = out[(base + j * cols + maxI) * 2 + 1] = 0;
  }
}

