import { FaceReshapeError } from '../errors.js';
import { dispatchGrid, type Staging } from '../gpu/sizing.js';
import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField, FieldRegion } from '../field/types.js';

/**
 * Which parts of a field's regions the GPU warp must draw. A part whose field nodes are all
 * exactly zero has d == 0 at every pixel, where the copied source is already the answer, so it
 * is dropped. Both lists are written as records into a growable staging array.
 */

/** Bytes per record; mirror `struct Span` in shaders/warp.wgsl and `struct Tile` in shaders/warp-cells.wgsl. */
export const SPAN_BYTES = 32;
export const TILE_BYTES = 16;
/** Cells per tile side in warp-cells.wgsl (its workgroup is one tile, one invocation per cell). */
export const TILE_CELLS = 8;
/** Tile record that pads the list up to the dispatch size (`NO_TILE` in warp-cells.wgsl). */
const NO_TILE = 0xffffffff;

/** The region's pixel rect, rounded out to whole pixels and clipped to the image. */
export function pixelRect(r: FieldRegion, width: number, height: number): [number, number, number, number] {
  return [Math.max(0, Math.floor(r.px0)), Math.max(0, Math.floor(r.py0)), Math.min(width, Math.ceil(r.px1)), Math.min(height, Math.ceil(r.py1))];
}

/**
 * For pixels [p0, p1) along one axis of a region, the pixel range [start, end) of each of the
 * `tiles` tiles (`tile` cells each), using the shaders' cell choice for the pixel centre:
 * min(floor(clamp((x + 0.5 - origin) / cell, 0, n - 1)), n - 2). Empty tiles get start == end.
 */
function tileRanges(p0: number, p1: number, origin: number, cell: number, nodes: number, tile: number, tiles: number): Int32Array {
  const ranges = new Int32Array(tiles * 2);
  for (let t = 0; t < tiles; t++) {
    ranges[2 * t] = p1;
    ranges[2 * t + 1] = p1;
  }
  const max = nodes - 1;
  let prev = -1;
  for (let x = p0; x < p1; x++) {
    const g = Math.min(Math.max((x + 0.5 - origin) / cell, 0), max);
    const t = Math.floor(Math.min(Math.floor(g), max - 1) / tile);
    if (t !== prev) {
      ranges[2 * t] = x;
      if (prev >= 0) ranges[2 * prev + 1] = x;
      prev = t;
    }
  }
  return ranges;
}

/**
 * Whether the field can be non-zero on the nodes [i0, i1] × [j0, j1] of region r: exactly,
 * from a field's values (`nodesLive`), or conservatively, from the primitives' bounds of a plan
 * whose values are computed on the GPU (`boundsLive`; the field is zero outside them).
 */
export type TileTest = (r: FieldRegion, i0: number, i1: number, j0: number, j1: number) => boolean;

export function nodesLive(field: DisplacementField): TileTest {
  const d = field.data;
  return (r, i0, i1, j0, j1) => {
    for (let j = j0; j <= j1; j++) {
      const base = (r.offset + j * r.cols) * 2;
      for (let k = base + i0 * 2, end = base + i1 * 2 + 1; k <= end; k++) if (d[k] !== 0) return true;
    }
    return false;
  };
}

export function boundsLive(plan: FieldPlan): TileTest {
  const bounds = new Map(plan.regions.map((r, k) => [r, plan.groups[k].bounds]));
  return (r, i0, i1, j0, j1) => {
    const x0 = r.x0 + i0 * r.cell;
    const x1 = r.x0 + i1 * r.cell;
    const y0 = r.y0 + j0 * r.cell;
    const y1 = r.y0 + j1 * r.cell;
    const list = bounds.get(r);
    // The warper passes the plan's own region objects; anything else would silently draw nothing.
    if (!list) throw new FaceReshapeError('INTERNAL', 'Warp culling: a region that is not part of the field plan.');
    return list.some((b) => b[0] < x1 && b[2] > x0 && b[1] < y1 && b[3] > y0);
  };
}

/** Visits every tile of `tile` cells that has pixels in the image: (tx, ty, live, x-ranges, y-ranges). */
function forTiles(
  r: FieldRegion,
  live: TileTest,
  tile: number,
  width: number,
  height: number,
  visit: (tx: number, ty: number, live: boolean, xs: Int32Array, ys: Int32Array) => void,
): void {
  const [px0, py0, px1, py1] = pixelRect(r, width, height);
  if (px1 <= px0 || py1 <= py0) return;
  const tilesX = Math.ceil((r.cols - 1) / tile);
  const tilesY = Math.ceil((r.rows - 1) / tile);
  const xs = tileRanges(px0, px1, r.x0, r.cell, r.cols, tile, tilesX);
  const ys = tileRanges(py0, py1, r.y0, r.cell, r.rows, tile, tilesY);
  for (let ty = 0; ty < tilesY; ty++) {
    if (ys[2 * ty + 1] <= ys[2 * ty]) continue;
    const j0 = ty * tile;
    const j1 = Math.min(j0 + tile, r.rows - 1);
    for (let tx = 0; tx < tilesX; tx++) {
      if (xs[2 * tx + 1] <= xs[2 * tx]) continue; // no pixels: neither drawn nor a break in a run
      const i0 = tx * tile;
      const i1 = Math.min(i0 + tile, r.cols - 1);
      const isLive = live(r, i0, i1, j0, j1);
      visit(tx, ty, isLive, xs, ys);
    }
  }
}

/**
 * Spans for the render form (warp.wgsl): each region's pixel rect cut into tiles of about
 * `tilePx` pixels (whole cells); live tiles next to each other in a row merge into one span.
 * With `fullCopy`, a first span covers the whole image and copies texels (region index =
 * regions.length), for outputs the source cannot be copied into. Returns the span count.
 */
export function buildSpans(regions: readonly FieldRegion[], live: TileTest, fullCopy: boolean, width: number, height: number, tilePx: number, out: Staging): number {
  let count = 0;
  const push = (x0: number, y0: number, x1: number, y1: number, region: number) => {
    const f = new Float32Array(out.reserve((count + 1) * SPAN_BYTES), count * SPAN_BYTES, 4);
    f[0] = x0;
    f[1] = y0;
    f[2] = x1;
    f[3] = y1;
    new Uint32Array(out.buffer, count * SPAN_BYTES + 16, 4).set([region, 0, 0, 0]);
    count++;
  };
  if (fullCopy) push(0, 0, width, height, regions.length);
  regions.forEach((r, index) => {
    const tile = Math.max(1, Math.round(tilePx / r.cell));
    let run: { tx: number; ty: number; x0: number; x1: number; y0: number; y1: number } | null = null;
    const flush = () => {
      if (run) push(run.x0, run.y0, run.x1, run.y1, index);
      run = null;
    };
    forTiles(r, live, tile, width, height, (tx, ty, isLive, xs, ys) => {
      if (run && (!isLive || run.ty !== ty || run.tx !== tx - 1)) flush();
      if (!isLive) return;
      if (run) {
        run.tx = tx;
        run.x1 = xs[2 * tx + 1];
      } else {
        run = { tx, ty, x0: xs[2 * tx], x1: xs[2 * tx + 1], y0: ys[2 * ty], y1: ys[2 * ty + 1] };
      }
    });
    flush();
  });
  return count;
}

/**
 * Tiles for the compute form (warp-cells.wgsl): one record (region, first cell i0, j0) per live
 * tile of TILE_CELLS × TILE_CELLS cells, padded with NO_TILE records up to the returned dispatch
 * size [x, y] (x · y ≥ count, x ≤ 65535).
 */
export function buildTiles(regions: readonly FieldRegion[], live: TileTest, width: number, height: number, out: Staging): { count: number; groups: [number, number] } {
  let count = 0;
  const push = (region: number, i0: number, j0: number) => {
    new Uint32Array(out.reserve((count + 1) * TILE_BYTES), count * TILE_BYTES, 4).set([region, i0, j0, 0]);
    count++;
  };
  regions.forEach((r, index) => {
    forTiles(r, live, TILE_CELLS, width, height, (tx, ty, isLive) => {
      if (isLive) push(index, tx * TILE_CELLS, ty * TILE_CELLS);
    });
  });
  const [gx, gy] = dispatchGrid(count);
  for (let k = count; k < gx * gy; k++) {
    new Uint32Array(out.reserve((k + 1) * TILE_BYTES), k * TILE_BYTES, 4).set([NO_TILE, 0, 0, 0]);
  }
  return { count, groups: [gx, gy] };
}
