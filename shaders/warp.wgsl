// Backward warp: output pixel p = (x + 0.5, y + 0.5) takes the source image at p + d(p).
//
// Drawn only where a DisplacementField (src/field/types.ts) can be non-zero: one instanced
// quad per "span", an integer pixel rect inside one region (the CPU splits each region into
// tiles, drops tiles whose nodes are all exactly zero and merges neighbours in a row into
// spans). Everything else in the output was already copied from the source with
// copyTextureToTexture, which is what the warp would have produced there anyway.
//
// d(p) is the bilinear interpolation of the region's node grid by the rule of grid.wgsl (and of
// src/field/grid.ts, which the CPU reference warp follows). Each output pixel fetches the image
// exactly once: a bilinear textureSampleLevel (clamp-to-edge sampler) where d != 0, else a
// textureLoad of its own texel (bit-exact). Prepended: grid.wgsl, warp-common.wgsl.

struct Span {
  rect: vec4f,    // (x0, y0, x1, y1): integer pixel rect
  region: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

// Group 0 changes when the field's buffers are replaced (rarely); group 1 with the images.
@group(0) @binding(0) var<storage, read> field: array<vec2f>;
@group(0) @binding(1) var<storage, read> regions: array<Region>;
@group(0) @binding(2) var<storage, read> spans: array<Span>;
// Per region, the fold guard's factor as f32 bits (see guard_factor).
@group(0) @binding(3) var<storage, read> alpha: array<u32>;
@group(1) @binding(0) var src: texture_2d<f32>;
@group(1) @binding(1) var src_sampler: sampler;

struct VsOut {
  @builtin(position) pos: vec4f,
  // Region parameters travel as flat varyings: read once per vertex, not once per pixel.
  @location(0) @interpolate(flat) grid: vec4f,  // origin.xy, cell, fold-guard factor
  @location(1) @interpolate(flat) idx: vec4u,   // cols, rows, offset, unused
  @location(2) @interpolate(flat) inv_size: vec2f,
}

@vertex
fn vs(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> VsOut {
  let s = spans[ii];
  let r = regions[s.region];
  let inv_size = 1.0 / vec2f(textureDimensions(src));
  // Triangle strip 0..3: (x0,y0) (x1,y0) (x0,y1) (x1,y1).
  let corner = vec2f(f32(vi & 1u), f32(vi >> 1u));
  let pixel = mix(s.rect.xy, s.rect.zw, corner);
  var out: VsOut;
  out.pos = vec4f(pixel * inv_size * vec2f(2.0, -2.0) + vec2f(-1.0, 1.0), 0.0, 1.0);
  out.grid = vec4f(r.origin, r.cell, guard_factor(alpha[r.alpha]));
  out.idx = vec4u(r.cols, r.rows, r.offset, 0u);
  out.inv_size = inv_size;
  return out;
}

// d at pixel position p: the grid rule and bilinear order of grid.wgsl, the same steps as the
// compute form (which does the first once per pixel row), so the two agree bit for bit.
fn field_at(origin: vec2f, cell: f32, cols: u32, rows: u32, offset: u32, p: vec2f, scale: f32) -> vec2f {
  let nodes = vec2u(cols, rows);
  let g = grid_clamp((p - origin) / cell, nodes);
  let i = grid_cell(g, nodes);
  let n = offset + i.y * cols + i.x;
  return grid_mix(field[n] * scale, field[n + 1u] * scale, field[n + cols] * scale, field[n + cols + 1u] * scale, g - vec2f(i));
}

@fragment
fn fs(in: VsOut) -> @location(0) vec4f {
  let p = in.pos.xy;
  var d = vec2f(0.0);
  if (in.idx.x != 0u) {
    d = field_at(in.grid.xy, in.grid.z, in.idx.x, in.idx.y, in.idx.z, p, in.grid.w);
  }
  if (d.x == 0.0 && d.y == 0.0) {
    return textureLoad(src, vec2i(p), 0);
  }
  return textureSampleLevel(src, src_sampler, (p + d) * in.inv_size, 0.0);
}
