import { FaceReshapeError } from '../errors.js';
import { FaceGeometry } from '../shapes/frame.js';
import { shapePrimitives } from '../shapes/index.js';
import type { ShapeName } from '../shapes/names.js';
import type { Primitive } from '../shapes/primitives.js';
import type { Face } from '../types.js';
import type { FieldRegion } from './types.js';

export interface FieldEdit {
  shape: ShapeName | number;
  strength: number;
}

export interface FieldItem {
  face: Face | FaceGeometry;
  edits: readonly FieldEdit[];
}

export interface PlanOptions {
  /** Grid spacing in pixels for every region; default per face, see `cellFor`. */
  cell?: number;
  /** Fixed-point iterations of the inversion (default 6). */
  iterations?: number;
  /** Fold guard target: every Jacobian determinant ≥ this (default 0.25; the contract needs > 0.2). 0 disables. */
  minDet?: number;
  /** Cap on the combined lateral compression per face (default SQUEEZE_CAP). */
  squeezeCap?: number;
}

/**
 * Combined lateral compression allowed per face (rate k of the summed side bands) beyond the
 * strongest single edit. Single contour edits compress by 0.07–0.14 per band (0.15 where
 * cut_face's two bands meet) and keep that in full; all five contour edits stacked uncapped fold
 * on face04, face08 and face09 (det down to −4.7). 0.15 keeps all 22 shapes at ±1 unguarded
 * (scale 1) on every landmark fixture, face15's yaw included (test/unit/shapes.test.ts).
 */
export const SQUEEZE_CAP = 0.15;

/** [x0, y0, x1, y1] in image pixels. */
export type Box = [number, number, number, number];

/** Axis-aligned image bounds [x0, y0, x1, y1] of the primitive's influence (the ellipse's box). */
export function primitiveBounds(p: Primitive): Box {
  const hx = Math.hypot(p.rx * p.e1x, p.ry * p.e2x);
  const hy = Math.hypot(p.rx * p.e1y, p.ry * p.e2y);
  return [p.cx - hx, p.cy - hy, p.cx + hx, p.cy + hy];
}

/** Whether the primitive moves anything. */
export function isIdentity(p: Primitive): boolean {
  return p.tx === 0 && p.ty === 0 && p.a11 === 0 && p.a12 === 0 && p.a21 === 0 && p.a22 === 0;
}

/** Shrink the primitive's radii so that no point of its influence is farther than `maxR` from its centre. */
export function limitRadius(p: Primitive, maxR: number): Primitive {
  const r = Math.max(p.rx, p.ry);
  if (r <= maxR) return p;
  const f = Math.max(maxR, 0) / r;
  return { ...p, rx: p.rx * f, ry: p.ry * f };
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

/**
 * Everything about a field except its values: the regions (grid layout, pixel rects, node
 * offsets) and, per region, the primitives that move it with their face and edit. The CPU build
 * (build.ts) and the GPU build (gpu-build.ts) evaluate the same plan; the warp culls by its bounds.
 */
export interface FieldPlan {
  width: number;
  height: number;
  regions: FieldRegion[];
  /** Per region: its primitives (after the locality clamp), each one's bounds, face and edit number. */
  groups: Array<{ prims: Primitive[]; bounds: Box[]; face: number[]; edit: number[] }>;
  iterations: number;
  minDet: number;
  squeezeCap: number;
}

interface Group {
  prims: Primitive[];
  bounds: Box[];
  /** Face and edit of each primitive (for the per-face saturation of compressions). */
  face: number[];
  edit: number[];
  cell: number;
  box: Box;
}

/** Node-aligned grid of a box with a ring of zero nodes outside it, and its pixel rect clipped to the image. */
function layout(box: Box, cell: number, width: number, height: number): Omit<FieldRegion, 'offset'> {
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

/**
 * The plan of a field (see build.ts for what the field is): each edit's primitives per face,
 * clamped for locality (radius ≤ 0.5 × face width − 2 cells, centred inside the landmark hull),
 * grouped per face and merged where the groups' pixel rects overlap, so that neighbouring faces
 * share one grid and blend without seams.
 */
export function planField(width: number, height: number, items: readonly FieldItem[], options: PlanOptions = {}): FieldPlan {
  if (!(width > 0 && height > 0)) throw new FaceReshapeError('INTERNAL', `buildField: bad image size ${width}×${height}`);
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
    const bounds: Box[] = [];
    const face: number[] = [];
    const edit: number[] = [];
    for (const e of item.edits) {
      const eid = editNo++;
      for (const p of shapePrimitives(g, e.shape, e.strength)) {
        if (isIdentity(p)) continue;
        const clamped = limitRadius(p, maxR);
        prims.push(clamped);
        bounds.push(primitiveBounds(clamped));
        face.push(fid);
        edit.push(eid);
      }
    }
    if (!prims.length) continue;
    const box: Box = [Infinity, Infinity, -Infinity, -Infinity];
    for (const b of bounds) {
      box[0] = Math.min(box[0], b[0]);
      box[1] = Math.min(box[1], b[1]);
      box[2] = Math.max(box[2], b[2]);
      box[3] = Math.max(box[3], b[3]);
    }
    groups.push({ prims, bounds, face, edit, cell, box });
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
          bounds: A.bounds.concat(B.bounds),
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
  return { width, height, regions, groups: laid.map(({ gr }) => ({ prims: gr.prims, bounds: gr.bounds, face: gr.face, edit: gr.edit })), iterations, minDet, squeezeCap };
}

