// Field build, pass 2: the backward displacement d of every node, d = −f(node + d), as invert()
// in src/field/invert.ts: fixed-point steps from d = −f(node), then, where they have not
// converged, Newton's method with backtracking. Nodes where f is zero keep d exactly zero, so
// the field's support never grows; the outer ring is zero.

@group(0) @binding(2) var<storage, read> forward: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> field: array<vec2f>;

// The cell holding grid position g by the grid rule (grid.wgsl, prepended): its
// four corners' f (00, 10, 01, 11) and g's place s in it.
struct Cell {
  a: vec2f,
  b: vec2f,
  c: vec2f,
  d: vec2f,
  s: vec2f,
}

fn cell_at(r: Region, g_in: vec2f) -> Cell {
  let nodes = vec2u(r.cols, r.rows);
  let g = grid_clamp(g_in, nodes);
  let i = grid_cell(g, nodes);
  let n = r.offset + i.y * r.cols + i.x;
  return Cell(forward[n], forward[n + 1u], forward[n + r.cols], forward[n + r.cols + 1u], g - vec2f(i));
}

// f at grid position g, bilinear.
fn f_at(r: Region, g: vec2f) -> vec2f {
  let q = cell_at(r, g);
  let s = q.s;
  return q.a * ((1.0 - s.x) * (1.0 - s.y)) + q.b * (s.x * (1.0 - s.y)) + q.c * ((1.0 - s.x) * s.y) + q.d * (s.x * s.y);
}

// Jacobian of f at g, per pixel: (∂fx/∂x, ∂fx/∂y, ∂fy/∂x, ∂fy/∂y).
fn jacobian_at(r: Region, g: vec2f) -> vec4f {
  let q = cell_at(r, g);
  let s = q.s;
  let a = q.a;
  let b = q.b;
  let c = q.c;
  let d = q.d;
  let dx = ((b - a) * (1.0 - s.y) + (d - c) * s.y) / r.cell;
  let dy = ((c - a) * (1.0 - s.x) + (d - b) * s.x) / r.cell;
  return vec4f(dx.x, dy.x, dx.y, dy.y);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = flat_id(gid, groups);
  if (n >= params.total) {
    return;
  }
  var d = -forward[n];
  let at = node_of(n);
  let r = at.r;
  if ((d.x == 0.0 && d.y == 0.0) || !at.inner) {
    field[n] = vec2f(0.0);
    return;
  }
  let node = vec2f(at.ij);
  let inv = 1.0 / r.cell;
  let d0 = d;
  for (var it = 0u; it < params.iterations; it++) {
    d = -f_at(r, node + d * inv);
  }
  var res = length(d + f_at(r, node + d * inv));
  if (res > 1e-3 * r.cell) {
    let res0 = length(d0 + f_at(r, node + d0 * inv));
    if (res0 < res) {
      d = d0;
      res = res0;
    }
    for (var it = 0; it < 30 && res > 1e-4 * r.cell; it++) {
      let g = node + d * inv;
      let rv = d + f_at(r, g);
      let jf = jacobian_at(r, g);
      let a = 1.0 + jf.x;
      let b = jf.y;
      let c = jf.z;
      let e = 1.0 + jf.w;
      let det = a * e - b * c;
      if (!(abs(det) > 1e-9)) {
        break;
      }
      let step = vec2f(e * rv.x - b * rv.y, a * rv.y - c * rv.x) / det;
      var t = 1.0;
      var next = res;
      for (; t > 1.0 / 64.0; t *= 0.5) {
        let trial = d - t * step;
        next = length(trial + f_at(r, node + trial * inv));
        if (next < res) {
          break;
        }
      }
      if (!(next < res)) {
        break;
      }
      d -= t * step;
      res = next;
    }
  }
  field[n] = d;
}
