import { buildFieldWithInfo } from '../../../src/field/build.js';
import { minJacobianDet } from '../../../src/field/jacobian.js';
import { FaceGeometry } from '../../../src/shapes/frame.js';
import type { ShapeName } from '../../../src/shapes/names.js';
import type { Face } from '../../../src/types.js';
import { CONTRACT } from './contract.js';
import { forwardPoints, type Pts } from './proxy.js';

export interface ShapeMeasurement {
  primary: Array<{ label: string; change: number; need: number }>;
  limits: Array<{ label: string; change: number; max: number }>;
  relations: Array<{ label: string; holds: boolean }>;
  /** Mean motion of untargeted landmarks, as a fraction of face width. */
  selectivity: number;
  minDet: number;
  scale: number;
}

/** Proxy measurement of one shape at one strength on one face of an image. */
export function measureShape(width: number, height: number, face: Face, shape: ShapeName, strength: number): ShapeMeasurement {
  const { field, scales } = buildFieldWithInfo(width, height, [{ face, edits: [{ shape, strength }] }]);
  const g = new FaceGeometry(face.landmarks);
  const moved = forwardPoints(field, face.landmarks);
  const B: Pts = (i) => [face.landmarks[i][0], face.landmarks[i][1]];
  const A: Pts = (i) => moved[i];
  const spec = CONTRACT[shape];
  const targets = new Set(spec.targets);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < face.landmarks.length; i++) {
    if (targets.has(i)) continue;
    sum += Math.hypot(moved[i][0] - face.landmarks[i][0], moved[i][1] - face.landmarks[i][1]);
    n++;
  }
  return {
    primary: spec.primary.map((m) => ({ label: m.label, change: m.change(B, A, g), need: m.need })),
    limits: spec.limits.map((m) => ({ label: m.label, change: m.change(B, A, g), max: m.max })),
    relations: (spec.relations ?? []).map((r) => ({ label: r.label, holds: r.holds(B, A, g) })),
    selectivity: sum / n / g.width,
    minDet: minJacobianDet(field),
    scale: Math.min(1, ...scales),
  };
}
