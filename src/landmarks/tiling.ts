/**
 * The short-range face detector sees the whole image at 128×128, so faces narrower than about a
 * tenth of the image are missed. A second pass over overlapping tiles gives small faces more
 * detector pixels. Tiles overlap by half so that any face up to half a tile wide lies wholly
 * inside at least one tile (the landmark model needs the whole face).
 */
export interface TileRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface TilePlanOptions {
  /** Smallest face width (px) the tiles should make findable. */
  minFaceSize?: number;
  /** Tile side as a multiple of minFaceSize; the detector is reliable for faces ≥ ~1/5 of its view. */
  tileToFace?: number;
  /** Upper bound on the number of tiles (cost control). */
  maxTiles?: number;
}

export function planTiles(width: number, height: number, opts: TilePlanOptions = {}): TileRect[] {
  const minFace = opts.minFaceSize ?? 40;
  const ratio = opts.tileToFace ?? 4;
  const maxTiles = opts.maxTiles ?? 36;
  const minSide = Math.min(width, height);
  let tile = Math.max(128, Math.round(minFace * ratio));
  // A tile as large as the image adds nothing over the full-image pass.
  if (tile >= minSide * 0.75) return [];
  // Grow tiles until the grid fits the budget.
  for (;;) {
    const grid = gridFor(width, height, tile);
    if (grid.length <= maxTiles || tile >= minSide * 0.75) return grid.length <= maxTiles ? grid : [];
    tile = Math.round(tile * 1.25);
  }
}

function axis(length: number, tile: number): number[] {
  if (tile >= length) return [0];
  const stride = tile / 2;
  const n = Math.ceil((length - tile) / stride) + 1;
  const step = (length - tile) / (n - 1);
  return Array.from({ length: n }, (_, i) => Math.round(i * step));
}

function gridFor(width: number, height: number, tile: number): TileRect[] {
  const tw = Math.min(tile, width);
  const th = Math.min(tile, height);
  const out: TileRect[] = [];
  for (const y of axis(height, th)) for (const x of axis(width, tw)) out.push({ x, y, w: tw, h: th });
  return out;
}

/**
 * A square crop `scale` times the box's larger side, centred on it and moved (then, if need be,
 * shrunk) to lie inside the image: the second look at a tile-pass candidate.
 */
export function cropAround(box: readonly [number, number, number, number], width: number, height: number, scale: number): TileRect {
  const side = Math.round(Math.min(scale * Math.max(box[2] - box[0], box[3] - box[1]), width, height));
  const clamp = (v: number, max: number) => Math.round(Math.min(Math.max(v, 0), max));
  return {
    x: clamp((box[0] + box[2]) / 2 - side / 2, width - side),
    y: clamp((box[1] + box[3]) / 2 - side / 2, height - side),
    w: side,
    h: side,
  };
}
