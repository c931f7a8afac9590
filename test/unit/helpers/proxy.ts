import { sampleRegion } from '../../../src/field/grid.js';
import type { DisplacementField } from '../../../src/field/types.js';
import { FaceGeometry } from '../../../src/shapes/frame.js';

/**
 * Where the warp shows each source landmark: the output position p with p + d(p) = q,
 * solved by fixed-point iteration p ← q − d(p) (the "landmark displacement" proxy for re-detection).
 */
export function forwardPoints(field: DisplacementField, pts: ArrayLike<readonly number[]>): [number, number][] {
  const tmp = { dx: 0, dy: 0 };
  const out: [number, number][] = [];
  for (let k = 0; k < pts.length; k++) {
    const qx = pts[k][0];
    const qy = pts[k][1];
    let px = qx;
    let py = qy;
    for (let it = 0; it < 30; it++) {
      const r = field.regions.find((g) => px >= g.px0 && px < g.px1 && py >= g.py0 && py < g.py1);
      if (!r) break;
      sampleRegion(field, r, px, py, tmp);
      const nx = qx - tmp.dx;
      const ny = qy - tmp.dy;
      const done = Math.abs(nx - px) + Math.abs(ny - py) < 1e-6;
      px = nx;
      py = ny;
      if (done) break;
    }
    out.push([px, py]);
  }
  return out;
}

export type Pts = (i: number) => [number, number];

export function dist(P: Pts, a: number, b: number): number {
  const [ax, ay] = P(a);
  const [bx, by] = P(b);
  return Math.hypot(ax - bx, ay - by);
}

/** Angle (degrees) of the line from landmark a to b against the face's horizontal axis, positive = b higher than a... measured as "b rises". */
export function riseAngle(P: Pts, g: FaceGeometry, a: number, b: number): number {
  const [ax, ay] = P(a);
  const [bx, by] = P(b);
  const du = g.ux[0] * (bx - ax) + g.ux[1] * (by - ay);
  const dv = g.uy[0] * (bx - ax) + g.uy[1] * (by - ay);
  return (Math.atan2(-dv, Math.abs(du)) * 180) / Math.PI;
}
