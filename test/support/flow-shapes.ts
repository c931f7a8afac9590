import { buildField } from '../../src/field/build';
import type { FieldEdit } from '../../src/field/plan';
import type { DisplacementField } from '../../src/field/types';
import { FaceGeometry } from '../../src/shapes/frame';
import { SHAPE_NAMES, type ShapeName } from '../../src/shapes/names';
import type { Face } from '../../src/types';
import { warpCpu, type RgbaImage } from '../../src/warp/cpu';
import { CONTRACT, type Measure } from '../unit/helpers/contract';
import type { Pts } from '../unit/helpers/proxy';
import { greyWindow, trackPoints, type Grey, type Tracked } from './flow';

/**
 * Contract section 3 on one photo: every shape at every test strength, each warped once (the
 * library's field builder and CPU reference warp, in Node), the input's landmarks tracked into the
 * output by pixel motion (test/support/flow.ts), and the outputs that need it re-detected by the
 * caller (in the browser, with the library's detector). `evaluate` turns that into the contract's
 * checks with their margins.
 */

/** The test strengths: monotone over the first four, the opposite sign at the last. */
export const STRENGTHS = [0.25, 0.5, 0.75, 1, -1] as const;
const AT_1 = 3;
const AT_NEG = 4;
/** Every contract threshold must hold with this margin (need × 1.25, limit / 1.25) by pixel motion. */
export const MARGIN = 1.25;
/** Selectivity (contract section 3 rules): untargeted landmarks move < 1.5 % of face width on average. */
export const SELECTIVITY = 0.015;

export interface Photo {
  file: string;
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  /** Every face found on the input (all are warped, as the library does). */
  faces: Face[];
}

export const faceWidth = (f: Face): number => Math.hypot(f.landmarks[234][0] - f.landmarks[454][0], f.landmarks[234][1] - f.landmarks[454][1]);

/** The window pixel motion is measured in: the landmarks' box grown by 0.3 face widths (room for the 3-level pyramid). */
function lkRect(f: Face): [number, number, number, number] {
  const xs = f.landmarks.map((p) => p[0]);
  const ys = f.landmarks.map((p) => p[1]);
  const pad = Math.max(0.3 * faceWidth(f), 48);
  const x0 = Math.min(...xs) - pad;
  const y0 = Math.min(...ys) - pad;
  return [x0, y0, Math.max(...xs) + pad - x0, Math.max(...ys) + pad - y0];
}

/** One edit at one strength on every face of the photo, as the library warps it. */
export function warpPhoto(photo: Photo, edits: FieldEdit[]): { image: RgbaImage; field: DisplacementField } {
  const field = buildField(
    photo.width,
    photo.height,
    photo.faces.map((face) => ({ face, edits })),
  );
  return { image: warpCpu({ width: photo.width, height: photo.height, data: photo.rgba }, field), field };
}

/** Pixel motion of the measured faces' landmarks for every shape and test strength: motion[shape][strength][face]. */
export interface PhotoMotion {
  photo: Photo;
  /** Indices into photo.faces of the faces measured. */
  measured: number[];
  motion: Tracked[][][];
}

export async function measureMotion(photo: Photo, measured: number[], shapes: readonly ShapeName[] = SHAPE_NAMES): Promise<PhotoMotion> {
  const rects = measured.map((i) => lkRect(photo.faces[i]));
  const before: Grey[] = rects.map((r) => greyWindow(photo.rgba, photo.width, photo.height, r));
  const motion: Tracked[][][] = [];
  for (const shape of shapes) {
    const perStrength: Tracked[][] = [];
    for (const strength of STRENGTHS) {
      const { image } = warpPhoto(photo, [{ shape, strength }]);
      const perFace: Tracked[] = [];
      for (let k = 0; k < measured.length; k++) {
        const after = greyWindow(image.data, photo.width, photo.height, rects[k]);
        perFace.push(await trackPoints(before[k], after, photo.faces[measured[k]].landmarks));
      }
      perStrength.push(perFace);
    }
    motion.push(perStrength);
  }
  return { photo, measured, motion };
}

/**
 * Which outputs must be re-detected, per shape: 'ends' (+1 and −1: re-detection must not
 * contradict) or 'all' where a check of the shape has a point that pixel motion did not track at
 * some strength (re-detection then decides that check, and its monotonicity series is read from
 * re-detection at every strength so that one source measures the whole series).
 */
export function redetectionNeeded(pm: PhotoMotion, shapes: readonly ShapeName[] = SHAPE_NAMES): Array<'ends' | 'all'> {
  return shapes.map((shape, si) => {
    const pts = [...CONTRACT[shape].primary, ...CONTRACT[shape].limits].flatMap((m) => m.points);
    return pm.motion[si].some((perFace) => perFace.some((t) => pts.some((i) => !t.ok[i]))) ? 'all' : 'ends';
  });
}

/** The strengths (indices into STRENGTHS) re-detected for a need. */
export const redetectedStrengths = (need: 'ends' | 'all'): number[] => (need === 'all' ? [0, 1, 2, 3, 4] : [AT_1, AT_NEG]);

/** Re-detected faces of one output, matched to each measured face (undefined where none matched). */
export type Redetected = Array<Face | undefined>;

/** The re-detected face whose box centre is within 0.3 face widths of `face`'s. */
export function matchFace(face: Face, found: readonly Face[]): Face | undefined {
  const c = (f: Face) => [(f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2];
  const [x, y] = c(face);
  const w = faceWidth(face);
  let best: Face | undefined;
  let bestD = 0.3 * w;
  for (const f of found) {
    const [u, v] = c(f);
    const d = Math.hypot(u - x, v - y);
    if (d < bestD) {
      best = f;
      bestD = d;
    }
  }
  return best;
}

/** Re-detection noise on an unchanged image (contract section 3): 2.5 % for eye apertures and the philtrum, 1 % for the rest; 0.5° for the eye angle. */
export function redetectionNoise(m: Measure): number {
  if (m.label.startsWith('angle')) return 0.5;
  const key = m.points.join(',');
  return ['159,145', '386,374', '2,0'].includes(key) ? 0.025 : 0.01;
}

/** LK's own noise on a pixel-motion measurement: ~0.15 px per point (test/unit/flow.test.ts), as a change of `m`. */
function motionNoise(m: Measure, before: Pts, g: FaceGeometry): number {
  if (m.label.startsWith('angle')) {
    const [a, b] = m.points;
    return ((0.3 / Math.hypot(before(a)[0] - before(b)[0], before(a)[1] - before(b)[1])) * 180) / Math.PI;
  }
  if (m.points.length === 1) return 0.3 / g.height;
  const [a, b] = m.points;
  return 0.3 / Math.hypot(before(a)[0] - before(b)[0], before(a)[1] - before(b)[1]);
}

export interface CheckValue {
  label: string;
  /** Signed change (fraction, degrees for angles) by the source that decides. */
  value: number;
  by: 'motion' | 'redetection';
  /** Re-detected change, where the output was re-detected. */
  redetected?: number;
}

export interface ShapeResult {
  shape: ShapeName;
  /** Primary changes at +1 and −1. */
  primary: Array<CheckValue & { need: number; atNeg: CheckValue; series: number[] }>;
  limits: Array<CheckValue & { max: number; atNeg: CheckValue }>;
  /** Mean motion of tracked untargeted landmarks / face width at +1 and −1, and how many were tracked. */
  selectivity: [number, number];
  tracked: [number, number];
  /** Smallest margin of the shape's checks on this face (1 = exactly at the contract's threshold). */
  margin: number;
  /** Check landmarks pixel motion did not track, as "id@strength". */
  untracked: string[];
  failures: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const fmt = (m: Measure, x: number) => (m.label.startsWith('angle') ? `${x.toFixed(2)}°` : pct(x));

/**
 * The contract's checks for one shape on one face: pixel motion decides every check whose points
 * are all tracked (with the margin), re-detection decides the others (at the contract's own
 * threshold: it under-reports local edits), and re-detection must never contradict a direction.
 */
export function evaluate(face: Face, shape: ShapeName, motion: Tracked[], redetected: Array<Face | undefined>): ShapeResult {
  const spec = CONTRACT[shape];
  const g = new FaceGeometry(face.landmarks);
  const B: Pts = (i) => [face.landmarks[i][0], face.landmarks[i][1]];
  const moved = (k: number): Pts => (i) => motion[k].pts[i];
  const again = (k: number): Pts | undefined => {
    const f = redetected[k];
    return f ? (i) => [f.landmarks[i][0], f.landmarks[i][1]] : undefined;
  };
  const failures: string[] = [];
  let margin = Infinity;
  const value = (m: Measure, k: number): CheckValue => {
    const A = again(k);
    const redet = A ? m.change(B, A, g) : undefined;
    if (m.points.every((i) => motion[k].ok[i])) return { label: m.label, value: m.change(B, moved(k), g), by: 'motion', redetected: redet };
    if (redet === undefined) throw new Error(`${shape} at ${STRENGTHS[k]}: ${m.label} is not tracked and the output was not re-detected`);
    return { label: m.label, value: redet, by: 'redetection', redetected: redet };
  };
  const need = (v: CheckValue) => (v.by === 'motion' ? MARGIN : 1);

  const primary = spec.primary.map((m) => {
    const dir = Math.sign(m.need);
    const at1 = value(m, AT_1);
    const atNeg = value(m, AT_NEG);
    // One source for the whole series: pixel motion where the points are tracked at every strength.
    const byMotion = [0, 1, 2, 3].every((k) => m.points.every((i) => motion[k].ok[i]));
    const series = [0, ...[0, 1, 2, 3].map((k) => {
      const A = byMotion ? moved(k) : again(k);
      if (!A) throw new Error(`${shape} at ${STRENGTHS[k]}: ${m.label} is not tracked at every strength and the output was not re-detected`);
      return dir * m.change(B, A, g);
    })];
    const req = need(at1) * Math.abs(m.need);
    margin = Math.min(margin, (dir * at1.value) / Math.abs(m.need));
    if (dir * at1.value < req) failures.push(`${m.label} ${fmt(m, at1.value)} at +1 by ${at1.by}: needs ${fmt(m, dir * req)}`);
    const tol = byMotion ? motionNoise(m, B, g) : redetectionNoise(m);
    const tolNeg = atNeg.by === 'motion' ? motionNoise(m, B, g) : redetectionNoise(m);
    if (dir * atNeg.value > -tolNeg) failures.push(`${m.label} ${fmt(m, atNeg.value)} at −1 by ${atNeg.by}: needs the opposite sign (beyond its ${fmt(m, tolNeg)} noise)`);
    for (let k = 1; k <= 4; k++) {
      if (series[k] < Math.max(...series.slice(0, k)) - tol) {
        failures.push(`${m.label} not monotone over 0.25/0.5/0.75/1 by ${byMotion ? 'motion' : 'redetection'} (beyond ${fmt(m, tol)} noise): ${series.map((x) => fmt(m, dir * x)).join(' ')}`);
        break;
      }
    }
    // Re-detection must not contradict: the wrong way by more than its noise, at +1 and at −1.
    const noise = redetectionNoise(m);
    if (at1.redetected !== undefined && dir * at1.redetected < -noise) failures.push(`${m.label} re-detected ${fmt(m, at1.redetected)} at +1: the wrong way`);
    if (atNeg.redetected !== undefined && dir * atNeg.redetected > noise) failures.push(`${m.label} re-detected ${fmt(m, atNeg.redetected)} at −1: the wrong way`);
    return { ...at1, need: m.need, atNeg, series };
  });

  const limits = spec.limits.map((m) => {
    const at1 = value(m, AT_1);
    const atNeg = value(m, AT_NEG);
    for (const [name, v] of [['+1', at1], ['−1', atNeg]] as const) {
      const max = m.max / need(v);
      margin = Math.min(margin, m.max / Math.abs(v.value));
      if (Math.abs(v.value) >= max) failures.push(`${m.label} changed ${fmt(m, v.value)} at ${name} by ${v.by}: limit ${fmt(m, max)}`);
    }
    return { ...at1, max: m.max, atNeg };
  });

  for (const r of spec.relations ?? []) {
    const tracked = r.points.every((i) => motion[AT_1].ok[i]);
    const A = tracked ? moved(AT_1) : again(AT_1);
    if (A && !r.holds(B, A, g, tracked ? MARGIN : 1)) failures.push(`${r.label} does not hold at +1 (by ${tracked ? 'motion' : 'redetection'})`);
  }

  const targets = new Set(spec.targets);
  const sel = [AT_1, AT_NEG].map((k) => {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < face.landmarks.length; i++) {
      if (targets.has(i) || !motion[k].ok[i]) continue;
      sum += Math.hypot(motion[k].pts[i][0] - face.landmarks[i][0], motion[k].pts[i][1] - face.landmarks[i][1]);
      n++;
    }
    return { sel: n ? sum / n / g.width : Infinity, n };
  });
  sel.forEach(({ sel: v, n }, j) => {
    margin = Math.min(margin, SELECTIVITY / v);
    if (!(v < SELECTIVITY / MARGIN)) failures.push(`untargeted landmarks moved ${pct(v)} of face width at ${j ? '−1' : '+1'} (${n} tracked): limit ${pct(SELECTIVITY / MARGIN)}`);
  });
  const checked = [...new Set([...spec.primary, ...spec.limits].flatMap((m) => m.points))];
  const untracked = STRENGTHS.flatMap((st, k) => checked.filter((i) => !motion[k].ok[i]).map((i) => `${i}@${st}`));
  return {
    shape,
    untracked,
    primary,
    limits,
    selectivity: [sel[0].sel, sel[1].sel],
    tracked: [sel[0].n, sel[1].n],
    margin,
    failures: failures.map((f) => `${shape}: ${f}`),
  };
}

/** One line of the report table. */
export function formatResult(label: string, r: ShapeResult): string {
  const spec = CONTRACT[r.shape];
  const v = (m: Measure, c: CheckValue) => `${fmt(m, c.value)}${c.by === 'redetection' ? '(rd)' : ''}${c.redetected !== undefined && c.by === 'motion' ? ` rd ${fmt(m, c.redetected)}` : ''}`;
  const prim = r.primary.map((p, k) => `${p.label} ${v(spec.primary[k], p)} [−1: ${v(spec.primary[k], p.atNeg)}]`).join('; ');
  const lim = r.limits.map((l, k) => `${l.label} ${v(spec.limits[k], l)}/${v(spec.limits[k], l.atNeg)} <${fmt(spec.limits[k], l.max)}`).join('; ');
  return `${label.padEnd(10)} ${String(SHAPE_NAMES.indexOf(r.shape)).padStart(2)} ${r.shape.padEnd(18)} ${prim}${lim ? ' | ' + lim : ''} | sel ${pct(r.selectivity[0])}/${pct(r.selectivity[1])} | margin ×${r.margin.toFixed(2)}${r.untracked.length ? ` | untracked ${r.untracked.join(' ')}` : ''}${r.failures.length ? ' FAIL' : ''}`;
}
