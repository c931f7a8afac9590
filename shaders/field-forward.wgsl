// Field build, pass 1: the forward motion f of every node (content at the node moves to node + f),
// as evalForward() in src/field/forward.ts: ordinary primitives add up; lateral compressions
// (squeeze > 0) add up per face and are scaled by squeeze_factor(), so stacked contour edits
// saturate instead of folding. Primitives come sorted by face, then edit, squeezes last.

struct Prim {
  c: vec2f,
  e1: vec2f,
  e2: vec2f,
  inv_r: vec2f,   // 1 / rx, 1 / ry
  t: vec2f,
  a: vec4f,       // a11, a12, a21, a22
  inner: f32,
  squeeze: f32,   // 0: ordinary primitive
  face: u32,
  edit: u32,
}

@group(0) @binding(2) var<storage, read> prims: array<Prim>;
@group(0) @binding(3) var<storage, read_write> forward: array<vec2f>;

// Falloff weight at squared normalised radius rho2 (falloff() in src/shapes/primitives.ts).
fn weight(rho2: f32, inner: f32) -> f32 {
  if (rho2 >= 1.0) {
    return 0.0;
  }
  if (inner <= 0.0) {
    let q = 1.0 - rho2;
    return q * q * q;
  }
  let rho = sqrt(rho2);
  if (rho <= inner) {
    return 1.0;
  }
  let s = (rho - inner) / (1.0 - inner);
  let q = 1.0 - s * s;
  return q * q * q;
}

// squeezeFactor() in src/field/forward.ts.
fn squeeze_factor(k: f32, m: f32, cap: f32) -> f32 {
  if (!(k > 0.0)) {
    return 1.0;
  }
  let extra = k - m;
  if (extra <= 1e-12) {
    return 1.0;
  }
  let h = cap - m;
  if (h <= 0.0) {
    return m / k;
  }
  // tanh of a large argument is inf / inf = NaN in some implementations; it is 1 to f32 beyond 10.
  return (m + h * tanh(min(extra / h, 10.0))) / k;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = flat_id(gid, groups);
  if (n >= params.total) {
    return;
  }
  let at = node_of(n);
  let r = at.r;
  var f = vec2f(0.0);
  if (at.inner) {
    let node = r.origin + vec2f(at.ij) * r.cell;
    // Squeeze state: motion of the current face, its summed rate K, Σ rate⁴ over its edits,
    // and the rate of the current edit.
    var face = 0xffffffffu;
    var edit = 0xffffffffu;
    var b = vec2f(0.0);
    var k_sum = 0.0;
    var p4 = 0.0;
    var ke = 0.0;
    for (var q = r.prim_start; q < r.prim_start + r.prim_count; q++) {
      let p = prims[q];
      if (p.squeeze > 0.0 && (p.face != face || p.edit != edit)) {
        k_sum += ke;
        p4 += ke * ke * ke * ke;
        ke = 0.0;
        if (p.face != face) {
          if (b.x != 0.0 || b.y != 0.0) {
            f += b * squeeze_factor(k_sum, sqrt(sqrt(p4)), params.squeeze_cap);
          }
          b = vec2f(0.0);
          k_sum = 0.0;
          p4 = 0.0;
        }
        face = p.face;
        edit = p.edit;
      }
      let d = node - p.c;
      let u = dot(p.e1, d) * p.inv_r.x;
      let v = dot(p.e2, d) * p.inv_r.y;
      let w = weight(u * u + v * v, p.inner);
      if (w == 0.0) {
        continue;
      }
      let motion = (p.t + vec2f(p.a.x * d.x + p.a.y * d.y, p.a.z * d.x + p.a.w * d.y)) * w;
      if (p.squeeze > 0.0) {
        b += motion;
        ke += p.squeeze * w;
      } else {
        f += motion;
      }
    }
    k_sum += ke;
    p4 += ke * ke * ke * ke;
    if (b.x != 0.0 || b.y != 0.0) {
      f += b * squeeze_factor(k_sum, sqrt(sqrt(p4)), params.squeeze_cap);
    }
  }
  forward[n] = f;
}
