import { FaceReshapeError } from '../errors.js';
import { FaceGeometry } from '../shapes/frame.js';
import { shapePrimitives } from '../shapes/index.js';
import type { ShapeName } from '../shapes/names.js';
import { isIdentity, limitRadius, primitiveBounds, type Primitive } from '../shapes/primitives.js';
import type { Face } from '../types.js';
import { guardFolds } from './jacobian.js';
import type { FieldScratch } from './scratch.js';
import type { DisplacementField, FieldRegion } from './types.js';

export interface FieldEdit {
  shape: ShapeName | number;
  strength: number;
}

export interface FieldItem {
  face: Face | FaceGeometry;
  edits: readonly FieldEdit[];
}

export interface BuildOptions {
  /** Grid spacing in pixels for every region; default per face, see `cellFor`. */
  cell?: number;
  /** Fixed-point iterations of the inversion (default 6). */
  iterations?: number;
  /** Fold guard target: every Jacobian determinant ≥ this (default 0.25; the contract needs > 0.2). 0 disables. */
  minDet?: number;
  /** Cap on the combined lateral compression per face (default SQUEEZE_CAP). */
  squeezeCap?: number;
  /** Diagnostics: receives the forward motion on the same nodes (data is replaced). */
  forward?: { data: Float32Array };
  /** Reuse these arrays (per-frame builds allocate nothing large); the field is valid until the next build with it. */
  scratch?: FieldScratch;
}

export interface BuildInfo {
  field: DisplacementField;
  /** Fold-guard factor applied to each region (1 = the edits as designed). */
  scales: number[];
  /** Primitives per region, after the locality clamp (for tests and debugging). */
  primitives: Primitive[][];
}

/**
 * Grid spacing: about face width / 75, clamped to 4–8 px (a 600 px face gets 8 px cells: ~75
 * nodes across the face, so an eye bulge spans ~15 nodes, enough for smooth C² falloffs while the
 * build stays at a few thousand nodes). Faces under 300 px get 4 px, and tiny faces (< 40 px)
 * go down to 2 px so their falloffs are still resolved.
 */
export function cellFor(faceWidth: number): number {
  const c = Math.round(faceWidth / 75);
  if (faceWidth < 40) return 2;
  return Math.min(8, Math.max(4, c));
}

interface Group {
  prims: Primitive[];
  /** Face and edit of each primitive (for the per-face saturation of compressions). */
  face: number[];
  edit: number[];
  cell: number;
  box: [number, number, number, number];
}

/** Node-aligned grid of a box with a ring of zero nodes outside it, and its pixel rect clipped to the image. */
function layout(box: [number, number, number, number], cell: number, width: number, height: number): Omit<FieldRegion, 'offset'> {
  const i0 = Math.floor(box[0] / cell) - 1;
  const j0 = Math.floor(box[1] / cell) - 1;
  const i1 = Math.ceil(box[2] / cell) + 1;
  const j1 = Math.ceil(box[3] / cell) + 1;
  const x0 = i0 * cell;
  const y0 = j0 * cell;
  const cols = i1 - i0 + 1;
  const rows = j1 - j0 + 1;
  return {
    x0,
    y0,
    cell,
    cols,
    rows,
    px0: Math.max(0, x0),
    py0: Math.max(0, y0),
    px1: Math.min(width, x0 + (cols - 1) * cell),
    py1: Math.min(height, y0 + (rows - 1) * cell),
  };
}

function overlaps(a: Omit<FieldRegion, 'offset'>, b: Omit<FieldRegion, 'offset'>): boolean {
  return a.px0 < b.px1 && b.px0 < a.px1 && a.py0 < b.py1 && b.py0 < a.py1;
}

/** Inclusive node ranges [ia, ib, ja, jb] a list of primitives can touch (inner nodes only; empty when ib < ia). */
function nodeBox(r: Omit<FieldRegion, 'offset'>, prims: readonly Primitive[]): [number, number, number, number] {
  const { x0, y0, cell, cols, rows } = r;
  let ia = cols;
  let ib = -1;
  let ja = rows;
  let jb = -1;
  for (const p of prims) {
    const b = primitiveBounds(p);
    ia = Math.min(ia, Math.max(1, Math.ceil((b[0] - x0) / cell)));
    ib = Math.max(ib, Math.min(cols - 2, Math.floor((b[2] - x0) / cell)));
    ja = Math.min(ja, Math.max(1, Math.ceil((b[1] - y0) / cell)));
    jb = Math.max(jb, Math.min(rows - 2, Math.floor((b[3] - y0) / cell)));
  }
  return [ia, ib, ja, jb];
}

/**
 * Adds primitive p's forward motion at the region's nodes into (fx, fy), and, when `ks` is given,
 * its weighted compression rate w · p.squeeze into ks. Only the nodes inside p's bounds are visited.
 */
function accumulate(r: Omit<FieldRegion, 'offset'>, p: Primitive, fx: Float64Array, fy: Float64Array, ks?: Float64Array): void {
  const { x0, y0, cell, cols } = r;
  const [ia, ib, ja, jb] = nodeBox(r, [p]);
  const irx = 1 / p.rx;
  const iry = 1 / p.ry;
  const inner = p.inner;
  const span = 1 / (1 - inner);
  const sq = p.squeeze ?? 0;
  for (let j = ja; j <= jb; j++) {
    const qy = y0 + j * cell - p.cy;
    for (let i = ia; i <= ib; i++) {
      const qx = x0 + i * cell - p.cx;
      const a = (p.e1x * qx + p.e1y * qy) * irx;
      const c = (p.e2x * qx + p.e2y * qy) * iry;
      const rho2 = a * a + c * c;
      if (rho2 >= 1) continue;
      let w: number;
      if (inner > 0) {
        const rho = Math.sqrt(rho2);
        if (rho <= inner) w = 1;
        else {
          const s = (rho - inner) * span;
          const q = 1 - s * s;
          w = q * q * q;
        }
      } else {
        const q = 1 - rho2;
        w = q * q * q;
      }
      const k = j * cols + i;
      fx[k] += (p.tx + p.a11 * qx + p.a12 * qy) * w;
      fy[k] += (p.ty + p.a21 * qx + p.a22 * qy) * w;
      if (ks) ks[k] += sq * w;
    }
  }
}

/**
 * Combined lateral compression allowed per face (rate k of the summed side bands) beyond the
 * strongest single edit. Single contour edits compress by 0.07–0.14 per band (0.15 where
 * cut_face's two bands meet) and keep that in full; all five contour edits stacked uncapped fold
 * on face04, face08 and face09 (det down to −4.7). 0.15 keeps all 22 shapes at ±1 unguarded
 * (scale 1) on every landmark fixture, face15's yaw included (test/unit/shapes.test.ts).
 */
export const SQUEEZE_CAP = 0.15;

/**
 * Saturation of stacked compressions: K = Σ K_e is the summed compression rate of a face's
 * edits at a node, m = (Σ K_e⁴)^¼ a smooth maximum of the single edits' rates (= K_e exactly when
 * one edit is active). The effective rate is m + h · tanh((K − m) / h) with h = cap − m: equal to
 * K while edits barely overlap, never above max(cap, m), smooth (C^∞ in K and m). One edit alone
 * is therefore unchanged, and a combination never compresses more than the cap (or its strongest
 * member). Returns the factor K_eff / K applied to the summed compression motion.
 */
export function squeezeFactor(K: number, m: number, cap = SQUEEZE_CAP): number {
  if (!(K > 0)) return 1;
  const extra = K - m;
  if (extra <= 1e-12) return 1;
  const h = cap - m;
  if (h <= 0) return m / K;
  return (m + h * Math.tanh(extra / h)) / K;
}

/**
 * Evaluates the forward motion f (content at p moves to p + f(p)) of all primitives on the
 * region's nodes. Ordinary primitives add up. Lateral compressions (`Primitive.squeeze`) add up
 * per face and are then scaled pointwise by `squeezeFactor`, so stacked contour edits saturate
 * smoothly instead of folding; `face[i]` and `edit[i]` identify primitive i's face and edit.
 */
function evalForward(
  r: Omit<FieldRegion, 'offset'>,
  prims: readonly Primitive[],
  face: readonly number[],
  edit: readonly number[],
  fx: Float64Array,
  fy: Float64Array,
  cap: number,
  f64: (key: string, n: number) => Float64Array,
): void {
  const byFace = new Map<number, Map<number, Primitive[]>>();
  prims.forEach((p, i) => {
    if (!p.squeeze) {
      accumulate(r, p, fx, fy);
      return;
    }
    let m = byFace.get(face[i]);
    if (!m) byFace.set(face[i], (m = new Map()));
    const list = m.get(edit[i]);
    if (list) list.push(p);
    else m.set(edit[i], [p]);
  });
  if (!byFace.size) return;
  const n = r.cols * r.rows;
  const cols = r.cols;
  const bx = f64('bx', n);
  const by = f64('by', n);
  const K = f64('K', n);
  const P4 = f64('P4', n);
  const ke = f64('ke', n);
  // Every loop below runs over the node box its primitives can touch, not the whole region:
  // the contour bands of one edit cover a fraction of a multi-face or all-shapes grid.
  const clear = (a: Float64Array, [ia, ib, ja, jb]: number[]) => {
    for (let j = ja; j <= jb; j++) a.fill(0, j * cols + ia, j * cols + ib + 1);
  };
  for (const edits of byFace.values()) {
    const faceBox = nodeBox(r, [...edits.values()].flat());
    for (const a of [bx, by, K, P4]) clear(a, faceBox);
    for (const list of edits.values()) {
      const box = nodeBox(r, list);
      clear(ke, box);
      for (const p of list) accumulate(r, p, bx, by, ke);
      for (let j = box[2]; j <= box[3]; j++) {
        for (let k = j * cols + box[0], end = j * cols + box[1]; k <= end; k++) {
          const v = ke[k];
          if (v === 0) continue;
          K[k] += v;
          const v2 = v * v;
          P4[k] += v2 * v2;
        }
      }
    }
    for (let j = faceBox[2]; j <= faceBox[3]; j++) {
      for (let k = j * cols + faceBox[0], end = j * cols + faceBox[1]; k <= end; k++) {
        if (bx[k] === 0 && by[k] === 0) continue;
        const f = squeezeFactor(K[k], Math.sqrt(Math.sqrt(P4[k])), cap);
        fx[k] += bx[k] * f;
        fy[k] += by[k] * f;
      }
    }
  }
}

/**
 * Forward motion f and its Jacobian at grid position (gx, gy) (in cells), bilinear between nodes.
 * Writes [fx, fy, ∂fx/∂x, ∂fx/∂y, ∂fy/∂x, ∂fy/∂y] (per pixel) into o; only [fx, fy] without
 * `jacobian` (the fixed-point steps need no more).
 */
function sampleForward(r: Omit<FieldRegion, 'offset'>, fx: Float64Array, fy: Float64Array, gx: number, gy: number, o: Float64Array, jacobian = true): void {
  const { cell, cols, rows } = r;
  const maxI = cols - 1;
  const maxJ = rows - 1;
  gx = gx < 0 ? 0 : gx > maxI ? maxI : gx;
  gy = gy < 0 ? 0 : gy > maxJ ? maxJ : gy;
  let ix = Math.floor(gx);
  let iy = Math.floor(gy);
  if (ix >= maxI) ix = maxI - 1;
  if (iy >= maxJ) iy = maxJ - 1;
  const sx = gx - ix;
  const sy = gy - iy;
  const k00 = iy * cols + ix;
  const k01 = k00 + cols;
  const ax = fx[k00], bx = fx[k00 + 1], cx = fx[k01], dx = fx[k01 + 1];
  const ay = fy[k00], by = fy[k00 + 1], cy = fy[k01], dy = fy[k01 + 1];
  o[0] = ax * (1 - sx) * (1 - sy) + bx * sx * (1 - sy) + cx * (1 - sx) * sy + dx * sx * sy;
  o[1] = ay * (1 - sx) * (1 - sy) + by * sx * (1 - sy) + cy * (1 - sx) * sy + dy * sx * sy;
  if (!jacobian) return;
  const inv = 1 / cell;
  o[2] = ((bx - ax) * (1 - sy) + (dx - cx) * sy) * inv;
  o[3] = ((cx - ax) * (1 - sx) + (dx - bx) * sx) * inv;
  o[4] = ((by - ay) * (1 - sy) + (dy - cy) * sy) * inv;
  o[5] = ((cy - ay) * (1 - sx) + (dy - by) * sx) * inv;
}

/**
 * Inverts the forward motion into the backward displacement: d(p) = −f(p + d(p)), solved per
 * node by fixed-point iteration from d = −f(p), with f bilinearly interpolated between nodes.
 * The iteration contracts at rate |∇f|, so for ordinary fields a few steps put each landmark
 * where its edit sends it. Where the forward map stretches steeply (|∇f| ≥ 1, e.g. the
 * background beside several stacked contour edits) the fixed point does not converge although
 * the map is still one-to-one (det(I + ∇f) > 0); there Newton's method on p + d + f(p + d) = 0,
 * with backtracking, finishes the job. Where f is zero around a node, d stays exactly zero, so
 * the field's support never grows.
 */
function invert(r: Omit<FieldRegion, 'offset'>, fx: Float64Array, fy: Float64Array, out: Float32Array, base: number, iterations: number): void {
  const { cell, cols, rows } = r;
  const inv = 1 / cell;
  const maxI = cols - 1;
  const maxJ = rows - 1;
  const o = new Float64Array(6);
  // Residual of the backward equation at node (i, j) for displacement (dx, dy): d + f(p + d).
  const residual = (i: number, j: number, dx: number, dy: number): number => {
    sampleForward(r, fx, fy, i + dx * inv, j + dy * inv, o);
    return Math.hypot(dx + o[0], dy + o[1]);
  };
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const k = j * cols + i;
      let dx = -fx[k];
      let dy = -fy[k];
      if (dx === 0 && dy === 0) continue;
      const d0x = dx;
      const d0y = dy;
      for (let it = 0; it < iterations; it++) {
        sampleForward(r, fx, fy, i + dx * inv, j + dy * inv, o, false);
        dx = -o[0];
        dy = -o[1];
      }
      let res = residual(i, j, dx, dy);
      if (res > 1e-3 * cell) {
        const res0 = residual(i, j, d0x, d0y);
        if (res0 < res) {
          dx = d0x;
          dy = d0y;
          res = res0;
        }
        for (let it = 0; it < 30 && res > 1e-4 * cell; it++) {
          sampleForward(r, fx, fy, i + dx * inv, j + dy * inv, o);
          const rx = dx + o[0];
          const ry = dy + o[1];
          const a = 1 + o[2], b = o[3], c = o[4], e = 1 + o[5];
          const det = a * e - b * c;
          if (!(Math.abs(det) > 1e-9)) break;
          const sx = (e * rx - b * ry) / det;
          const sy = (a * ry - c * rx) / det;
          let t = 1;
          let next = res;
          for (; t > 1 / 64; t *= 0.5) {
            next = residual(i, j, dx - t * sx, dy - t * sy);
            if (next < res) break;
          }
          if (!(next < res)) break;
          dx -= t * sx;
          dy -= t * sy;
          res = next;
        }
      }
      out[(base + k) * 2] = dx;
      out[(base + k) * 2 + 1] = dy;
    }
  }
  // The outer ring is zero by construction (it lies outside every primitive's bounds); make it exact.
  for (let i = 0; i < cols; i++) {
    out[(base + i) * 2] = out[(base + i) * 2 + 1] = 0;
    out[(base + maxJ * cols + i) * 2] = out[(base + maxJ * cols + i) * 2 + 1] = 0;
  }
  for (let j = 0; j < rows; j++) {
    out[(base + j * cols) * 2] = out[(base + j * cols) * 2 + 1] = 0;
    out[(base + j * cols + maxI) * 2] = out[(base + j * cols + maxI) * 2 + 1] = 0;
  }
}

/**
 * Builds ONE backward displacement field for all edits of all faces (one warp pass).
 *
 * - Each edit contributes primitives (src/shapes); their forward motions are summed, evaluated on
 *   a coarse node grid over each face's region of influence only, and inverted (see `invert`).
 * - Locality: every primitive is centred inside the landmark hull and its radius is clamped to
 *   0.5 × face width − 2 cells, so nothing farther than 0.5 × face width from the hull moves,
 *   bilinear spread included.
 * - Regions: a face's region is its primitives' bounds plus one ring of zero nodes; regions whose
 *   pixel rects overlap are merged (smallest cell wins), so neighbouring faces share one grid and
 *   blend without seams. Pixel rects are clipped to the image; grids may extend past it.
 * - Folds: guardFolds scales a region down where any Jacobian determinant would drop below minDet.
 */
export function buildFieldWithInfo(width: number, height: number, items: readonly FieldItem[], options: BuildOptions = {}): BuildInfo {
  const plan = planField(width, height, items, options);
  const { regions, groups } = plan;
  const total = regions.reduce((n, r) => n + r.cols * r.rows, 0);
  const scratch = options.scratch;
  const f64 = scratch ? (key: string, n: number) => scratch.float64(key, n) : (_key: string, n: number) => new Float64Array(n);
  const data = scratch ? scratch.float32(total * 2) : new Float32Array(total * 2);
  if (options.forward) options.forward.data = new Float32Array(total * 2);
  groups.forEach((gr, k) => {
    const r = regions[k];
    const n = r.cols * r.rows;
    const fx = f64('fx', n);
    const fy = f64('fy', n);
    evalForward(r, gr.prims, gr.face, gr.edit, fx, fy, plan.squeezeCap, f64);
    if (options.forward) {
      for (let q = 0; q < n; q++) {
        options.forward.data[(r.offset + q) * 2] = fx[q];
        options.forward.data[(r.offset + q) * 2 + 1] = fy[q];
      }
    }
    invert(r, fx, fy, data, r.offset, plan.iterations);
  });
  const field: DisplacementField = { width, height, regions, data };
  const scales = plan.minDet > 0 ? guardFolds(field, plan.minDet) : regions.map(() => 1);
  return { field, scales, primitives: groups.map((gr) => gr.prims) };
}

/**
 * Everything about a field except its values: the regions (grid layout, pixel rects, node
 * offsets) and, per region, the primitives that move it with their face and edit. The CPU build
 * above and the GPU build (src/field/gpu-build.ts) evaluate the same plan.
 */
export interface FieldPlan {
  width: number;
  height: number;
  regions: FieldRegion[];
  /** Per region: its primitives (after the locality clamp) and each one's face and edit number. */
  groups: Array<{ prims: Primitive[]; face: number[]; edit: number[] }>;
  iterations: number;
  minDet: number;
  squeezeCap: number;
}

/** The plan of buildFieldWithInfo (see there): primitives per face, clamped for locality, grouped into non-overlapping regions. */
export function planField(width: number, height: number, items: readonly FieldItem[], options: BuildOptions = {}): FieldPlan {
  if (!(width > 0 && height > 0)) throw new FaceReshapeError('SERVICE_INTERNAL_ERROR', `buildField: bad image size ${width}×${height}`);
  const iterations = options.iterations ?? 6;
  const minDet = options.minDet ?? 0.25;
  const squeezeCap = options.squeezeCap ?? SQUEEZE_CAP;
  let groups: Group[] = [];
  let faceNo = 0;
  let editNo = 0;
  for (const item of items) {
    const fid = faceNo++;
    if (!item.edits.length) continue;
    const g = FaceGeometry.from(item.face);
    if (!(g.width > 1)) continue;
    const cell = options.cell ?? cellFor(g.width);
    const maxR = 0.5 * g.width - 2 * cell;
    if (maxR <= cell) continue;
    const prims: Primitive[] = [];
    const face: number[] = [];
    const edit: number[] = [];
    for (const e of item.edits) {
      const eid = editNo++;
      for (const p of shapePrimitives(g, e.shape, e.strength)) {
        if (isIdentity(p)) continue;
        prims.push(limitRadius(p, maxR));
        face.push(fid);
        edit.push(eid);
      }
    }
    if (!prims.length) continue;
    const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of prims) {
      const b = primitiveBounds(p);
      box[0] = Math.min(box[0], b[0]);
      box[1] = Math.min(box[1], b[1]);
      box[2] = Math.max(box[2], b[2]);
      box[3] = Math.max(box[3], b[3]);
    }
    groups.push({ prims, face, edit, cell, box });
  }
  // Merge groups whose pixel rects overlap, until none do.
  for (let merged = true; merged; ) {
    merged = false;
    const rects = groups.map((gr) => layout(gr.box, gr.cell, width, height));
    outer: for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        if (!overlaps(rects[a], rects[b])) continue;
        const A = groups[a];
        const B = groups[b];
        const m: Group = {
          prims: A.prims.concat(B.prims),
          face: A.face.concat(B.face),
          edit: A.edit.concat(B.edit),
          cell: Math.min(A.cell, B.cell),
          box: [Math.min(A.box[0], B.box[0]), Math.min(A.box[1], B.box[1]), Math.max(A.box[2], B.box[2]), Math.max(A.box[3], B.box[3])],
        };
        groups = groups.filter((_, k) => k !== a && k !== b);
        groups.push(m);
        merged = true;
        break outer;
      }
    }
  }
  const laid = groups.map((gr) => ({ gr, r: layout(gr.box, gr.cell, width, height) })).filter(({ r }) => r.px1 > r.px0 && r.py1 > r.py0);
  let total = 0;
  const regions: FieldRegion[] = laid.map(({ r }) => {
    const region = { ...r, offset: total };
    total += r.cols * r.rows;
    return region;
  });
  return { width, height, regions, groups: laid.map(({ gr }) => ({ prims: gr.prims, face: gr.face, edit: gr.edit })), iterations, minDet, squeezeCap };
}

/** See buildFieldWithInfo. */
export function buildField(width: number, height: number, items: readonly FieldItem[], options?: BuildOptions): DisplacementField {
  return buildFieldWithInfo(width, height, items, options).field;
}
