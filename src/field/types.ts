/**
 * A backward displacement field: output pixel p samples the source image at p + d(p).
 *
 * Coordinates are continuous pixel coordinates of the output image, where the centre of
 * pixel (x, y) is (x + 0.5, y + 0.5). The field is non-zero only inside `regions`; outside
 * every region it is exactly zero, so those pixels are copied untouched.
 *
 * Each region is a grid of nodes spaced `cell` pixels apart. Node (i, j) of a region sits at
 * (x0 + i * cell, y0 + j * cell) and stores (dx, dy) at
 * data[(offset + j * cols + i) * 2 + 0/1]. Between nodes d is bilinearly interpolated.
 * The pixels a region covers are the integer rectangle [px0, px1) × [py0, py1), which lies
 * inside the grid's extent and inside the image. The field is exactly zero on a region's
 * outer ring of nodes, so the border between a region and the untouched image is seamless.
 * Regions never overlap (overlapping influence areas are merged into one region).
 */
export interface FieldRegion {
  x0: number;
  y0: number;
  cell: number;
  cols: number;
  rows: number;
  /** Index of node (0, 0) in units of nodes (multiply by 2 for the float index). */
  offset: number;
  px0: number;
  py0: number;
  px1: number;
  py1: number;
}

export interface DisplacementField {
  width: number;
  height: number;
  regions: FieldRegion[];
  /** Interleaved (dx, dy) per node of every region, float32. */
  data: Float32Array;
}

/** Bilinear field lookup at continuous output position (px, py) within a region. Shared by the CPU warp and tests. */
export function sampleRegion(field: DisplacementField, r: FieldRegion, px: number, py: number, out: { dx: number; dy: number }): void {
  let gx = (px - r.x0) / r.cell;
  let gy = (py - r.y0) / r.cell;
  const maxX = r.cols - 1;
  const maxY = r.rows - 1;
  gx = gx < 0 ? 0 : gx > maxX ? maxX : gx;
  gy = gy < 0 ? 0 : gy > maxY ? maxY : gy;
  let ix = Math.floor(gx);
  let iy = Math.floor(gy);
  if (ix >= maxX) ix = maxX - 1;
  if (iy >= maxY) iy = maxY - 1;
  const fx = gx - ix;
  const fy = gy - iy;
  const d = field.data;
  const i00 = (r.offset + iy * r.cols + ix) * 2;
  const i10 = i00 + 2;
  const i01 = i00 + r.cols * 2;
  const i11 = i01 + 2;
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  out.dx = d[i00] * w00 + d[i10] * w10 + d[i01] * w01 + d[i11] * w11;
  out.dy = d[i00 + 1] * w00 + d[i10 + 1] * w10 + d[i01 + 1] * w01 + d[i11 + 1] * w11;
}
