// The node-grid rule of src/field/grid.ts, prepended to every shader that interpolates a field's
// node grid (both warp forms and the field inversion): a position g, in cells, is clamped to the
// grid; its cell is floor(g) kept below the last node; g minus the cell is the place within it.

fn grid_clamp(g: vec2f, nodes: vec2u) -> vec2f {
  return clamp(g, vec2f(0.0), vec2f(nodes - 1u));
}

fn grid_cell(g: vec2f, nodes: vec2u) -> vec2u {
  return min(vec2u(floor(g)), nodes - 2u);
}

// Bilinear between a cell's four corner values (00, 10, 01, 11) at place s: down the cell's two
// edges, then across (the order src/field/grid.ts bilinear() follows).
fn grid_mix(a: vec2f, b: vec2f, c: vec2f, d: vec2f, s: vec2f) -> vec2f {
  return mix(mix(a, c, s.y), mix(b, d, s.y), s.x);
}
