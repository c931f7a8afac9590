// Shared prelude of the three field-build passes (field-forward, field-invert, field-guard),
// prepended to each by src/field/gpu-build.ts. Mirrors src/field/{plan,forward,invert,jacobian}.ts: node (i, j) of a
// region sits at origin + (i, j) · cell; nodes of all regions are numbered consecutively
// (region.offset is its first node), one invocation per node (or per cell in the guard).

struct Region {
  origin: vec2f,
  cell: f32,
  cols: u32,
  rows: u32,
  offset: u32,     // first node
  prim_start: u32, // first primitive in `prims`
  prim_count: u32,
}

struct Params {
  total: u32,      // nodes in all regions
  regions: u32,
  iterations: u32, // fixed-point steps of the inversion
  squeeze_cap: f32,
  min_det: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> regions: array<Region>;

// The region holding node n (regions are few: one per group of overlapping faces).
fn region_of(n: u32) -> u32 {
  var k = 0u;
  for (var q = 1u; q < params.regions; q++) {
    if (n >= regions[q].offset) {
      k = q;
    }
  }
  return k;
}

// Flat invocation index of a 1-D dispatch that may wrap into a second dimension.
fn flat_id(gid: vec3u, groups: vec3u) -> u32 {
  return gid.y * groups.x * 64u + gid.x;
}

// Node n's region (index and record), its column and row in that region's grid, and whether it is
// an inner node: the outer ring of every region stays zero (it lies outside every primitive).
struct Node {
  k: u32,
  r: Region,
  ij: vec2u,
  inner: bool,
}

fn node_of(n: u32) -> Node {
  let k = region_of(n);
  let r = regions[k];
  let local = n - r.offset;
  let ij = vec2u(local % r.cols, local / r.cols);
  return Node(k, r, ij, all(ij > vec2u(0u)) && all(ij + 1u < vec2u(r.cols, r.rows)));
}
