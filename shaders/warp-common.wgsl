// Shared by both forms of the warp (warp.wgsl: render, warp-cells.wgsl: compute), prepended
// after grid.wgsl by src/warp/: the region records and the fold guard's factor.

struct Region {
  origin: vec2f,  // (x0, y0): position of node (0, 0), in pixels
  cell: f32,      // node spacing, in pixels
  cols: u32,      // 0 means "no field": plain texel copy (the render form's format-conversion span)
  rows: u32,
  offset: u32,    // index of node (0, 0) in `field`
  alpha: u32,     // index of its fold-guard factor in `alpha`
  _pad1: u32,
  px: vec4i,      // (px0, py0, px1, py1): the pixel rect it covers, clipped to the image
}

// The factor the field is scaled by, from its f32 bits: 1 for fields built on the CPU (already
// guarded there); for fields built on the GPU the minimum from field-guard.wgsl, with the margin
// of guardFolds() in src/field/jacobian.ts.
fn guard_factor(bits: u32) -> f32 {
  let a = bitcast<f32>(bits);
  return select(a * 0.999, 1.0, a >= 1.0);
}
