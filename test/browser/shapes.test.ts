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
  { url: '/fixtures/faces/face03_obama_official_portrait.jpg', shared: true },
];
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
      expect(r.before).toHaveLength(1);
      const B0 = r.before[0];
      const g = new FaceGeometry(B0.landmarks);
      const B: Pts = (i) => [B0.landmarks[i][0], B0.landmarks[i][1]];
      const failures: string[] = [];
      SHAPE_NAMES.forEach((shape: ShapeName, si) => {
        const spec = CONTRACT[shape];
        const after = STRENGTHS.map((_, k) => {
          const found = r.after[si * STRENGTHS.length + k];
          expect(found, `${shape}: face count after the warp`).toHaveLength(1);
          const m = match(B0, found)!;
          return (i: number) => [m.landmarks[i][0], m.landmarks[i][1]] as [number, number];
        });
        const at1 = after[3];
        const atNeg = after[4];
        const row: string[] = [];
        for (const m of spec.primary) {
          const v = m.change(B, at1, g);
          const vNeg = m.change(B, atNeg, g);
          const unit = m.label.startsWith('angle') ? '°' : '%';
          const fmt = (x: number) => (unit === '%' ? (x * 100).toFixed(1) : x.toFixed(1)) + unit;
          row.push(`${m.label} ${fmt(v)} (−1: ${fmt(vNeg)})`);
          if (Math.sign(m.need) * v < Math.abs(m.need)) failures.push(`${shape}: ${m.label} changed ${fmt(v)} at +1, contract needs ${fmt(m.need)}`);
          if (Math.sign(m.need) * vNeg >= 0) failures.push(`${shape}: ${m.label} at −1 changed ${fmt(vNeg)}, not the opposite way`);
          const series = [0, ...after.slice(0, 4).map((A) => Math.sign(m.need) * m.change(B, A, g))];
          for (let k = 1; k < series.length; k++) {
            if (series[k] <= series[k - 1]) failures.push(`${shape}: ${m.label} not monotone over 0.25/0.5/0.75/1: ${series.map(fmt).join(' ')}`);
          }
        }
        for (const lim of spec.limits) {
          for (const [name, A] of [['+1', at1], ['−1', atNeg]] as const) {
            const v = Math.abs(lim.change(B, A, g));
            if (v >= lim.max) failures.push(`${shape} ${name}: ${lim.label} changed ${(v * 100).toFixed(2)} %, limit ${(lim.max * 100).toFixed(1)} %`);
          }
        }
        for (const rel of spec.relations ?? []) if (!rel.holds(B, at1, g)) failures.push(`${shape}: ${rel.label} does not hold`);
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
        if (sel >= 0.015) failures.push(`${shape}: untargeted landmarks moved ${(sel * 100).toFixed(2)} % of face width on average`);
        table.push(`${fx.url.split('/').pop()!.slice(0, 14).padEnd(14)} ${String(si).padStart(2)} ${shape.padEnd(19)} ${row.join('; ')}; untargeted ${(sel * 100).toFixed(2)} %`);
      });
      console.log(table.splice(0).join('\n'));
      expect(failures).toEqual([]);
    });
  }
});
