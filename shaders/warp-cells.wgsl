// Backward warp, compute form: output pixel p = (x + 0.5, y + 0.5) takes the source at p + d(p).
//
// Same result as warp.wgsl (the render form, kept for outputs that cannot be storage textures),
// at a fraction of its cost where the rasteriser runs on the CPU: there, warp.wgsl's storage
// loads per pixel cost more than the texture sample itself. Here one invocation owns one field
// cell: it reads the cell's four nodes once and walks the cell's pixels (cell² of them, 64 for
// the usual 8-px cell), so the field costs four loads per cell instead of four per pixel.
//
// Prepended: grid.wgsl, warp-common.wgsl.
//
// A workgroup is one tile of 8×8 cells taken from `tiles`: the CPU lists only the tiles whose
// nodes can be non-zero (src/warp/culling.ts); everything else in the output was already copied
// from the source with copyTextureToTexture. Cells whose four nodes are zero return at once for
// the same reason. Pixel (x, y) belongs to the cell the render form would interpolate it in
// (cell_of), and both forms interpolate down the cell's edges, then across (per row here), so
// they do the same arithmetic on every pixel, then exactly one fetch of the image: a bilinear
// textureSampleLevel at p + d.

struct Tile {
  region: u32,    // NO_TILE pads the list up to the dispatch size
  i0: u32,        // first cell of the tile (cells i0 .. i0 + 7, j0 .. j0 + 7)
  j0: u32,
  _pad: u32,
}

const NO_TILE: u32 = 0xffffffffu;
const TILE_CELLS: u32 = 8u;

// Group 0 changes when the field's buffers are replaced (rarely); group 1 with the images.
@group(0) @binding(0) var<storage, read> field: array<vec2f>;
@group(0) @binding(1) var<storage, read> regions: array<Region>;
@group(0) @binding(2) var<storage, read> tiles: array<Tile>;
// Per region, the fold guard's factor as f32 bits (see guard_factor).
@group(0) @binding(3) var<storage, read> alpha: array<u32>;
@group(1) @binding(0) var src: texture_2d<f32>;
@group(1) @binding(1) var src_sampler: sampler;
@group(1) @binding(2) var dst: texture_storage_2d<rgba8unorm, write>;

// The cell the grid rule (grid.wgsl) puts pixel coordinate x in, along one axis.
fn cell_of(x: i32, origin: f32, cell: f32, nodes: u32) -> u32 {
  return grid_cell(grid_clamp(vec2f((f32(x) + 0.5 - origin) / cell), vec2u(nodes)), vec2u(nodes)).x;
}

// First pixel coordinate in [p0, p1] whose cell is >= c (p1 when there is none). cell_of is
// monotone, so the estimate only needs nudging over rounding at the boundary.
fn cell_start(c: u32, origin: f32, cell: f32, nodes: u32, p0: i32, p1: i32) -> i32 {
  var x = clamp(i32(ceil(origin + f32(c) * cell - 0.5)), p0, p1);
  for (var k = 0; k < 4 && x > p0 && cell_of(x - 1, origin, cell, nodes) >= c; k++) {
    x -= 1;
  }
  for (var k = 0; k < 4 && x < p1 && cell_of(x, origin, cell, nodes) < c; k++) {
    x += 1;
  }
  return x;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tile = tiles[wg.y * groups.x + wg.x];
  if (tile.region == NO_TILE) {
    return;
  }
  let r = regions[tile.region];
  let ci = tile.i0 + lid.x;
  let cj = tile.j0 + lid.y;
  if (ci + 1u >= r.cols || cj + 1u >= r.rows) {
    return;
  }
  let n = r.offset + cj * r.cols + ci;
  let scale = guard_factor(alpha[r.alpha]);
  let d00 = field[n] * scale;
  let d10 = field[n + 1u] * scale;
  let d01 = field[n + r.cols] * scale;
  let d11 = field[n + r.cols + 1u] * scale;
  if (all(d00 == vec2f(0.0)) && all(d10 == vec2f(0.0)) && all(d01 == vec2f(0.0)) && all(d11 == vec2f(0.0))) {
    return;
  }
  let px = r.px;
  let xa = cell_start(ci, r.origin.x, r.cell, r.cols, px.x, px.z);
  let xb = cell_start(ci + 1u, r.origin.x, r.cell, r.cols, px.x, px.z);
  let ya = cell_start(cj, r.origin.y, r.cell, r.rows, px.y, px.w);
  let yb = cell_start(cj + 1u, r.origin.y, r.cell, r.rows, px.y, px.w);
  let nodes = vec2u(r.cols, r.rows);
  let i = vec2f(f32(ci), f32(cj));
  let inv_size = 1.0 / vec2f(textureDimensions(src));
  for (var y = ya; y < yb; y++) {
    let py = f32(y) + 0.5;
    // grid_mix (grid.wgsl) split by rows: down the cell's two edges once per pixel row, then
    // across per pixel; the same operations in the same order, so both forms agree bit for bit.
    let sy = grid_clamp(vec2f(0.0, (py - r.origin.y) / r.cell), nodes).y - i.y;
    let left = mix(d00, d01, sy);
    let right = mix(d10, d11, sy);
    for (var x = xa; x < xb; x++) {
      let p = vec2f(f32(x) + 0.5, py);
      let sx = grid_clamp(vec2f((p.x - r.origin.x) / r.cell, 0.0), nodes).x - i.x;
      let d = mix(left, right, sx);
      // Where d is exactly 0 this samples the texel's own centre with weight 1: its exact value
      // (the render form uses textureLoad there; the forms agree bit for bit, see the tests).
      textureStore(dst, vec2i(x, y), textureSampleLevel(src, src_sampler, (p + d) * inv_size, 0.0));
    }
  }
}
