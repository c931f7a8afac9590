// Backward warp: output pixel p = (x + 0.5, y + 0.5) takes the source image at p + d(p).
//
// Drawn only where a DisplacementField (src/field/types.ts) can be non-zero: one instanced
// quad per "span", an integer pixel rect inside one region (the CPU splits each region into
// tiles, drops tiles whose nodes are all exactly zero and merges neighbours in a row into
// spans). Everything else in the output was already copied from the source with
// copyTextureToTexture, which is what the warp would have produced there anyway.
//
// d(p) is the bilinear interpolation of the region's node grid, done by hand in f32 with the
// steps of sampleRegion() so that the CPU reference warp (src/warp/cpu.ts) and this shader
// agree. Each output pixel fetches the image exactly once: a bilinear textureSampleLevel
// (clamp-to-edge sampler) where d != 0, else a textureLoad of its own texel (bit-exact).

struct Region {
  origin: vec2f,  // (x0, y0): position of node (0, 0), in pixels
  cell: f32,      // node spacing, in pixels
  cols: u32,      // 0 means "no field": plain texel copy (format conversion fallback)
  rows: u32,
  offset: u32,    // index of node (0, 0) in `field`
  alpha: u32,     // index of its fold-guard factor in `alpha`
  _pad1: u32,
  px: vec4i,      // pixel rect (used by warp-cells.wgsl; the spans carry their own)
}

struct Span {
  rect: vec4f,    // (x0, y0, x1, y1): integer pixel rect
  region: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var src_sampler: sampler;
@group(0) @binding(2) var<storage, read> field: array<vec2f>;
@group(0) @binding(3) var<storage, read> regions: array<Region>;
@group(0) @binding(4) var<storage, read> spans: array<Span>;
// Per region, the fold guard's factor as f32 bits: 1 for fields built on the CPU (already
// guarded there); for fields built on the GPU the raw minimum from field-guard.wgsl.
@group(0) @binding(5) var<storage, read> alpha: array<u32>;

// The factor the field is scaled by: as guardFolds() in src/field/jacobian.ts, with its margin.
fn guard_factor(bits: u32) -> f32 {
  let a = bitcast<f32>(bits);
  return select(a * 0.999, 1.0, a >= 1.0);
}

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

// Same arithmetic as sampleRegion() in src/field/types.ts.
fn field_at(origin: vec2f, cell: f32, cols: u32, rows: u32, offset: u32, p: vec2f, scale: f32) -> vec2f {
  let max_i = vec2f(f32(cols - 1u), f32(rows - 1u));
  let g = clamp((p - origin) / cell, vec2f(0.0), max_i);
  let i = min(floor(g), max_i - 1.0);
  let f = g - i;
  let n = offset + u32(i.y) * cols + u32(i.x);
  // Down the cell's two edges, then across: warp-cells.wgsl does the same steps (the first
  // once per pixel row), so the two forms agree bit for bit.
  let left = mix(field[n] * scale, field[n + cols] * scale, f.y);
  let right = mix(field[n + 1u] * scale, field[n + cols + 1u] * scale, f.y);
  return mix(left, right, f.x);
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
