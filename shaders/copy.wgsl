// Benchmark yardstick: a naive identity warp. One full-frame triangle; every output pixel
// samples the source once, bilinear, at its own centre. Same cost model as a full-frame warp
// without the field; compare the real warp (warp.wgsl) against this, not copyTextureToTexture.

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var src_sampler: sampler;

@vertex
fn vs(@builtin(vertex_index) vi: u32) -> @builtin(position) vec4f {
  // Oversized triangle covering the viewport: (-1,-1) (3,-1) (-1,3).
  let xy = vec2f(f32((vi << 1u) & 2u), f32(vi & 2u));
  return vec4f(xy * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  let uv = pos.xy / vec2f(textureDimensions(src));
  return textureSampleLevel(src, src_sampler, uv, 0.0);
}
