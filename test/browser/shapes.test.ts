import { describe, expect, it } from 'vitest';
import { FaceGeometry } from '../../src/shapes/frame';
import { SHAPE_NAMES, type ShapeName } from '../../src/shapes/names';
import { usePage } from '../support/browser';
import { HAS_SHARED, SKIP_SHARED_MSG } from '../support/env';
import { reshapeAndRedetect, type PageFace } from '../support/page-fns';
import { CONTRACT } from '../unit/helpers/contract';
import type { Pts } from '../unit/helpers/proxy';

/**
 * Every shape on real photos through the real pipeline (detect → field → WebGPU warp → readback),
 * measured by detecting the landmarks AGAIN on the output, as the contract defines it.
 * Near-frontal fixture faces at least 200 px wide, without glasses (the contract's conditions).
 */
const FIXTURES = [
  { url: '/fixtures/faces/face08_sergey_frontal.png', shared: true },
  { url: '/fixtures/faces/face10_business_woman.png', shared: true },
  // Two children; the measured face is the larger, frontal one (416 px). face03 (195 px) is under
  // the contract's 200 px and is left out.
  { url: '/fixtures/faces/face09_two_children.jpg', shared: true },
];

/**
 * Re-detection noise, from contract section 3: up to ~1 % for the face outline and nose distances,
 * ~2.5 % for eye apertures, eye widths and mouth distances. A strength step counts as "not
 * monotone" only if the effect falls back by more than this.
 */
function noiseOf(label: string): number {
  if (label.startsWith('angle')) return 0.5;
  const m = /^d\((\d+),(\d+)\)$/.exec(label);
  const ids = m ? [Number(m[1]), Number(m[2])] : [];
  const eyeOrMouth = [33, 133, 263, 362, 159, 145, 386, 374, 61, 291, 0, 13, 17];
  return ids.some((i) => eyeOrMouth.includes(i)) ? 0.025 : 0.01;
}

/**
 * Shapes that do not yet reach the contract by re-detection (issue #4 stays open on them). For
 * these the test still requires the right direction at +1 and prints the figures; a gap
 * that closes fails the test until it is taken off this list, so the list cannot go stale.
 *
 * - nose_wing, nose_tip: MediaPipe's mesh (ours and Google's alike) barely moves 129/358 apart
 *   from 48/278, or 4 at all: the wing points lie ~2 % of face width apart and move together
 *   (a 30 % alar pinch re-detects as −1.8…−4 % on both pairs), and lifting the tip by a third of
 *   d(168,4) in the pixels re-detects as < 1 %. The model places them from the surrounding face.
 *   slim_nose passes only because its pinch reaches 1.5 × the alar width onto the cheeks.
 * - slim_chin: the chin pixels move 12–28 % inward, but the re-detected chin points slide up
 *   along the outline instead of moving in (−1…−4 % where −4 % is needed); what does move them
 *   (raising the chin) is chin_shorten, not a pointier chin.
 * - lip_height on face09: the mouth moves rigidly in the pixels, but the model places the child's
 *   upper-lip border ~3 px off, so d(0,17) re-detects +6…+10 % (limit 3 %) whatever the design.
 */
const NOSE: ShapeName[] = ['nose_wing', 'nose_tip'];
const KNOWN_GAPS: Record<string, ShapeName[]> = {
  'face08_sergey_frontal.png': [...NOSE, 'slim_chin'],
  'face10_business_woman.png': [...NOSE, 'slim_chin'],
  'face09_two_children.jpg': [...NOSE, 'slim_chin', 'lip_height'],
};
const STRENGTHS = [0.25, 0.5, 0.75, 1, -1];

function match(face: PageFace, list: PageFace[]): PageFace | undefined {
  const c = (f: PageFace) => [(f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2];
  const [x, y] = c(face);
  return list.find((f) => {
    const [u, v] = c(f);
    return Math.hypot(u - x, v - y) < 0.3 * (face.box[2] - face.box[0]);
  });
}

describe('the 22 shapes, measured by re-detection on the warped image', () => {
  const page = usePage();
  const table: string[] = [];

  for (const fx of FIXTURES) {
    it.skipIf(fx.shared && !HAS_SHARED)(`${fx.url.split('/').pop()}: every shape moves its measurement by the contract's amount, monotonically, both signs`, async () => {
      const requests = SHAPE_NAMES.flatMap((shape) => STRENGTHS.map((strength) => ({ edits: [{ shape, strength }] })));
      const r = await page().page.evaluate(reshapeAndRedetect, fx.url, requests, 'webgpu' as const);
      expect(r.before.length).toBeGreaterThanOrEqual(1);
      const width = (f: PageFace) => Math.hypot(f.landmarks[234][0] - f.landmarks[454][0], f.landmarks[234][1] - f.landmarks[454][1]);
      const B0 = r.before.reduce((a, b) => (width(b) > width(a) ? b : a));
      expect(width(B0), 'the contract figures hold for faces ≥ 200 px wide').toBeGreaterThanOrEqual(200);
      const file = fx.url.split('/').pop()!;
      const gaps = new Set(KNOWN_GAPS[file] ?? []);
      const g = new FaceGeometry(B0.landmarks);
      const B: Pts = (i) => [B0.landmarks[i][0], B0.landmarks[i][1]];
      const failures: string[] = [];
      SHAPE_NAMES.forEach((shape: ShapeName, si) => {
        const spec = CONTRACT[shape];
        const after = STRENGTHS.map((_, k) => {
          const found = r.after[si * STRENGTHS.length + k];
          expect(found, `${shape}: face count after the warp`).toHaveLength(r.before.length);
          const m = match(B0, found)!;
          return (i: number) => [m.landmarks[i][0], m.landmarks[i][1]] as [number, number];
        });
        const at1 = after[3];
        const atNeg = after[4];
        const row: string[] = [];
        const shapeFailures: string[] = [];
        const directionFailures: string[] = [];
        for (const m of spec.primary) {
          const v = m.change(B, at1, g);
          const vNeg = m.change(B, atNeg, g);
          const unit = m.label.startsWith('angle') ? '°' : '%';
          const fmt = (x: number) => (unit === '%' ? (x * 100).toFixed(1) : x.toFixed(1)) + unit;
          row.push(`${m.label} ${fmt(v)} (−1: ${fmt(vNeg)})`);
          if (Math.sign(m.need) * v < Math.abs(m.need)) shapeFailures.push(`${shape}: ${m.label} changed ${fmt(v)} at +1, contract needs ${fmt(m.need)}`);
          if (Math.sign(m.need) * v <= 0) directionFailures.push(`${shape}: ${m.label} at +1 changed ${fmt(v)}, the wrong way`);
          if (Math.sign(m.need) * vNeg >= 0) shapeFailures.push(`${shape}: ${m.label} at −1 changed ${fmt(vNeg)}, not the opposite way`);
          const series = [0, ...after.slice(0, 4).map((A) => Math.sign(m.need) * m.change(B, A, g))];
          const noise = noiseOf(m.label);
          for (let k = 1; k < series.length; k++) {
            if (series[k] < Math.max(...series.slice(0, k)) - noise) {
              shapeFailures.push(`${shape}: ${m.label} not monotone over 0.25/0.5/0.75/1 (beyond ${fmt(noise)} noise): ${series.map(fmt).join(' ')}`);
              break;
            }
          }
        }
        for (const lim of spec.limits) {
          for (const [name, A] of [['+1', at1], ['−1', atNeg]] as const) {
            const v = Math.abs(lim.change(B, A, g));
            if (v >= lim.max) shapeFailures.push(`${shape} ${name}: ${lim.label} changed ${(v * 100).toFixed(2)} %, limit ${(lim.max * 100).toFixed(1)} %`);
          }
        }
        for (const rel of spec.relations ?? []) if (!rel.holds(B, at1, g)) shapeFailures.push(`${shape}: ${rel.label} does not hold`);
        // Selectivity: landmarks the shape does not target move < 1.5 % of face width on average.
        const targets = new Set(spec.targets);
        let sum = 0;
        let n = 0;
        for (let i = 0; i < 478; i++) {
          if (targets.has(i)) continue;
          const [ax, ay] = at1(i);
          sum += Math.hypot(ax - B0.landmarks[i][0], ay - B0.landmarks[i][1]);
          n++;
        }
        const sel = sum / n / g.width;
        if (sel >= 0.015) shapeFailures.push(`${shape}: untargeted landmarks moved ${(sel * 100).toFixed(2)} % of face width on average`);
        if (!gaps.has(shape)) failures.push(...shapeFailures);
        else if (shapeFailures.length === 0) failures.push(`${shape} now meets the contract on ${file}: take it off KNOWN_GAPS`);
        else failures.push(...directionFailures);
        table.push(`${file.slice(0, 14).padEnd(14)} ${String(si).padStart(2)} ${shape.padEnd(19)} ${row.join('; ')}; untargeted ${(sel * 100).toFixed(2)} %${gaps.has(shape) ? '  [known gap]' : ''}`);
      });
      console.log(table.splice(0).join('\n'));
      expect(failures).toEqual([]);
    });
  }
});
