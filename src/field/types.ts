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
