// Field build, pass 3: the fold guard of src/field/jacobian.ts. One invocation per cell: the
// Jacobian of p ↦ p + d(p) at the cell's four corners (exact extremes for a bilinear field),
// and the largest α ≤ 1 keeping det(I + αG) ≥ min_det there; atomicMin gathers the smallest
// per region (positive floats order like their bits). The warp scales the region's d by it.

@group(0) @binding(2) var<storage, read> field: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> alpha: array<atomic<u32>>;

// safeAlpha() in src/field/jacobian.ts; a large value where no α folds.
fn safe_alpha(a: f32, b: f32, c: f32, e: f32, m: f32) -> f32 {
  let tr = a + e;
  let det = a * e - b * c;
  let k = 1.0 - m;
  var best = 1e30;
  if (det == 0.0) {
    if (tr < 0.0) {
      best = k / -tr;
    }
  } else {
    let disc = tr * tr - 4.0 * det * k;
    if (disc >= 0.0) {
      let q = -0.5 * (tr + select(-1.0, 1.0, tr >= 0.0) * sqrt(disc));
      let r1 = q / det;
      if (r1 > 0.0 && r1 < best) {
        best = r1;
      }
      if (q != 0.0) {
        let r2 = k / q;
        if (r2 > 0.0 && r2 < best) {
          best = r2;
        }
      }
    }
  }
  return best;
}

// The smallest factor of this workgroup's region, gathered in workgroup memory first so that
// only one global atomic per workgroup remains (atomics are the slow part on emulated GPUs).
var<workgroup> group_min: atomic<u32>;

// Cell (i, j) of region r at node n: the guard factor it allows (≥ 1 where nothing can fold).
fn cell_alpha(r: Region, n: u32, i: u32, j: u32) -> f32 {
  if (i + 1u >= r.cols || j + 1u >= r.rows) {
    return 1.0;
  }
  let d00 = field[n];
  let d10 = field[n + 1u];
  let d01 = field[n + r.cols];
  let d11 = field[n + r.cols + 1u];
  if (all(d00 == vec2f(0.0)) && all(d10 == vec2f(0.0)) && all(d01 == vec2f(0.0)) && all(d11 == vec2f(0.0))) {
    return 1.0;
  }
  let inv = 1.0 / r.cell;
  let top = (d10 - d00) * inv;
  let bottom = (d11 - d01) * inv;
  let left = (d01 - d00) * inv;
  let right = (d11 - d10) * inv;
  let m = params.min_det;
  let s = min(safe_alpha(top.x, left.x, top.y, left.y, m), safe_alpha(top.x, right.x, top.y, right.y, m));
  return min(s, min(safe_alpha(bottom.x, left.x, bottom.y, left.y, m), safe_alpha(bottom.x, right.x, bottom.y, right.y, m)));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = flat_id(gid, groups);
  let first = n - lid;
  let k0 = region_of(min(first, params.total - 1u));
  if (lid == 0u) {
    atomicStore(&group_min, 0x7f800000u); // +inf
  }
  workgroupBarrier();
  if (n < params.total) {
    let at = node_of(n);
    let s = cell_alpha(at.r, n, at.ij.x, at.ij.y);
    if (s < 1.0) {
      let k = at.k;
      if (k == k0) {
        atomicMin(&group_min, bitcast<u32>(s));
      } else {
        atomicMin(&alpha[k], bitcast<u32>(s));
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let m = atomicLoad(&group_min);
    if (m < 0x3f800000u) {
      atomicMin(&alpha[k0], m);
    }
  }
}
