import type { FaceGeometry } from '../../../src/shapes/frame.js';
import type { ShapeName } from '../../../src/shapes/names.js';
import { dist, riseAngle, type Pts } from './proxy.js';

/**
 * The contract's section-3 table as executable checks on (before, after) landmarks.
 * `change` returns the signed change at the given strength (relative for distances, degrees for
 * angles, fraction of face height for moves). `need` is the contract's figure at strength +1
 * (sign = direction); `limits` are side conditions that must hold at ±1.
 */
export interface Measure {
  label: string;
  /** The landmarks the measurement reads (pixel motion decides it only where all of them are tracked). */
  points: number[];
  change: (before: Pts, after: Pts, g: FaceGeometry) => number;
}
export interface ShapeSpec {
  targets: number[];
  primary: Array<Measure & { need: number }>;
  limits: Array<Measure & { max: number }>;
  /** Extra relations that must hold at +1 (e.g. one change larger than another). */
  relations?: Array<{ label: string; points: number[]; holds: (before: Pts, after: Pts, g: FaceGeometry, margin?: number) => boolean }>;
}

const rel = (a: number, b: number): Measure => ({
  label: `d(${a},${b})`,
  points: [a, b],
  change: (B, A) => dist(A, a, b) / dist(B, a, b) - 1,
});
const D = (a: number, b: number, need: number) => ({ ...rel(a, b), need });
const L = (a: number, b: number, max: number) => ({ ...rel(a, b), max });
const rise = (inner: number, outer: number, need: number) => ({
  label: `angle(${inner}→${outer})`,
  points: [inner, outer],
  change: (B: Pts, A: Pts, g: FaceGeometry) => riseAngle(A, g, inner, outer) - riseAngle(B, g, inner, outer),
  need,
});

export const CONTRACT: Record<ShapeName, ShapeSpec> = {
  cheekbone: { targets: [234, 454], primary: [D(234, 454, -0.03)], limits: [] },
  cut_face: {
    targets: [172, 397, 150, 379, 152],
    primary: [D(172, 397, -0.03), D(150, 379, -0.03)],
    limits: [
      {
        label: 'move(152)/H',
        points: [152],
        change: (B, A, g) => Math.hypot(A(152)[0] - B(152)[0], A(152)[1] - B(152)[1]) / g.height,
        max: 0.01,
      },
    ],
  },
  slim_face: { targets: [93, 323, 132, 361], primary: [D(93, 323, -0.03), D(132, 361, -0.03)], limits: [] },
  long_face: { targets: [168, 152], primary: [D(168, 152, -0.03)], limits: [] },
  chin_shorten: { targets: [17, 152], primary: [D(17, 152, -0.05)], limits: [] },
  chin_lengthen: { targets: [17, 152], primary: [D(17, 152, 0.05)], limits: [] },
  slim_chin: { targets: [148, 377, 176, 400], primary: [D(148, 377, -0.04), D(176, 400, -0.04)], limits: [] },
  slim_jaw: {
    targets: [172, 397, 58, 288],
    primary: [D(172, 397, -0.03), D(58, 288, -0.03)],
    limits: [],
    relations: [
      {
        // With a margin m, both jaw distances must shrink by at least m times what d(148,377) shrinks.
        label: 'jaw narrows more than the chin',
        points: [172, 397, 58, 288, 148, 377],
        holds: (B, A, _g, m = 1) => {
          const chin = Math.max(0, 1 - dist(A, 148, 377) / dist(B, 148, 377));
          return [[172, 397], [58, 288]].every(([a, b]) => 1 - dist(A, a, b) / dist(B, a, b) > m * chin);
        },
      },
    ],
  },
  big_eyes: {
    targets: [33, 133, 263, 362, 159, 145, 386, 374],
    primary: [D(33, 133, 0.03), D(263, 362, 0.03), D(159, 145, 0.06), D(386, 374, 0.06)],
    limits: [],
  },
  eye_angle_1: { targets: [33, 133, 263, 362], primary: [rise(133, 33, 2), rise(362, 263, 2)], limits: [] },
  eye_distance: { targets: [133, 362], primary: [D(133, 362, -0.04)], limits: [L(33, 133, 0.03), L(263, 362, 0.03)] },
  widen_eye_distance: { targets: [133, 362], primary: [D(133, 362, 0.04)], limits: [L(33, 133, 0.03), L(263, 362, 0.03)] },
  eye_angle_2: { targets: [133, 362], primary: [D(133, 362, -0.04)], limits: [L(33, 263, 0.01)] },
  eye_height: {
    targets: [159, 145, 386, 374],
    primary: [D(159, 145, 0.06), D(386, 374, 0.06)],
    limits: [L(33, 133, 0.03), L(263, 362, 0.03)],
  },
  slim_nose: { targets: [48, 278, 129, 358], primary: [D(48, 278, -0.04), D(129, 358, -0.04)], limits: [] },
  nose_wing: { targets: [129, 358], primary: [D(129, 358, -0.05)], limits: [L(168, 2, 0.025)] },
  nose_length: { targets: [168, 2], primary: [D(168, 2, -0.03)], limits: [] },
  nose_tip: { targets: [168, 4], primary: [D(168, 4, -0.04)], limits: [L(168, 2, 0.025)] },
  lip_width: { targets: [61, 291], primary: [D(61, 291, -0.04)], limits: [L(0, 17, 0.03)] },
  lip_size: { targets: [61, 291, 0, 17], primary: [D(61, 291, 0.04), D(0, 17, 0.04)], limits: [] },
  lip_height: { targets: [2, 13], primary: [D(2, 13, -0.06)], limits: [L(61, 291, 0.02), L(0, 17, 0.03)] },
  philtrum: { targets: [2, 0], primary: [D(2, 0, -0.08)], limits: [L(61, 291, 0.02)] },
};
