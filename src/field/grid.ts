import type { DisplacementField, FieldRegion } from './types.js';

/**
 * The one rule by which every reader of a node grid interpolates: the CPU field build
 * (invert.ts), the CPU warp, and on the GPU shaders/grid.wgsl for both warp forms and the
 * inversion pass. A position g, in cells, is clamped to the grid; its cell is floor(g) kept below
 * the last node (a position on the last node interpolates in the last cell); the fraction within
 * the cell is g minus that. A grid of `nodes` nodes has nodes − 1 cells.
 */
export function clampToGrid(g: number, nodes: number): number {
  const max = nodes - 1;
  return g < 0 ? 0 : g > max ? max : g;
}

/** The cell of a clamped grid position (see clampToGrid). */
export function cellOf(g: number, nodes: number): number {
  const i = Math.floor(g);
  return i >= nodes - 1 ? nodes - 2 : i;
}

/** The field's (dx, dy) at continuous output position (px, py) within region r, bilinear between its nodes. */
export function sampleRegion(field: DisplacementField, r: FieldRegion, px: number, py: number, out: { dx: number; dy: number }): void {
  const gx = clampToGrid((px - r.x0) / r.cell, r.cols);
  const gy = clampToGrid((py - r.y0) / r.cell, r.rows);
  const ix = cellOf(gx, r.cols);
  const iy = cellOf(gy, r.rows);
  const k = (r.offset + iy * r.cols + ix) * 2;
  const d = field.data;
  out.dx = bilinear(d, k, r.cols * 2, gx - ix, gy - iy);
  out.dy = bilinear(d, k + 1, r.cols * 2, gx - ix, gy - iy);
}

/**
 * Bilinear interpolation of one component in a cell whose top-left value is a[k], the next node
 * 2 entries on (interleaved x, y) and the next row `row` entries on: down the cell's two edges,
 * then across, in the same order as the GPU (shaders/grid.wgsl).
 */
export function bilinear(a: ArrayLike<number>, k: number, row: number, fx: number, fy: number): number {
  const left = a[k] + (a[k + row] - a[k]) * fy;
  const right = a[k + 2] + (a[k + row + 2] - a[k + 2]) * fy;
  return left + (right - left) * fx;
}
