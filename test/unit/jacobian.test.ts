import { describe, expect, it } from 'vitest';
import { buildFieldWithInfo } from '../../src/field/build';
import { squeezeFactor } from '../../src/field/forward';
import { guardFolds, minJacobianDet, regionFoldScale } from '../../src/field/jacobian';
import type { DisplacementField } from '../../src/field/types';
import { SHAPE_NAMES } from '../../src/shapes/names';
import { landmarkFixture, landmarkFixtures, rollFace, scaleFace } from './helpers/fixtures';

const all = (strength: number) => SHAPE_NAMES.map((shape) => ({ shape, strength }));

describe('Jacobian fold guard', () => {
  for (const fx of landmarkFixtures()) {
    it(`det > 0.2 with all 22 shapes at +1 and at −1 on ${fx.name}`, () => {
      for (const s of [1, -1]) {
        const { field } = buildFieldWithInfo(fx.width, fx.height, fx.faces.map((face) => ({ face, edits: all(s) })));
        expect(minJacobianDet(field)).toBeGreaterThan(0.245);
      }
    });
  }

  it('holds on a rolled, enlarged face and on a yawed face', () => {
    const f = landmarkFixture('face01')!.faces[0];
    const big = scaleFace(f, 600 / 89, 225, 125, 735, 315);
    for (const deg of [-35, 20, 90]) {
      const rolled = rollFace(big, deg, 960, 440);
      for (const s of [1, -1]) {
        const { field } = buildFieldWithInfo(1920, 1080, [{ face: rolled, edits: all(s) }]);
        expect(minJacobianDet(field)).toBeGreaterThan(0.245);
      }
    }
    const yaw = landmarkFixture('face15')!;
    for (const s of [1, -1]) {
      const { field, scales } = buildFieldWithInfo(yaw.width, yaw.height, [{ face: yaw.faces[0], edits: all(s) }]);
      expect(minJacobianDet(field)).toBeGreaterThan(0.245);
      expect(scales[0]).toBeGreaterThan(0.5); // weakened, not wiped out
    }
  });

  it('scales a folding field down to the target in closed form', () => {
    // A 5×5 grid whose centre node is pushed hard: a fold (det < 0) next to it.
    const r = { x0: 0, y0: 0, cell: 4, cols: 5, rows: 5, offset: 0, px0: 0, py0: 0, px1: 16, py1: 16 };
    const data = new Float32Array(50);
    data[(2 * 5 + 2) * 2] = 9;
    const field: DisplacementField = { width: 16, height: 16, regions: [r], data };
    expect(minJacobianDet(field)).toBeLessThan(0);
    const alpha = regionFoldScale(data, r, 0.25);
    expect(alpha).toBeCloseTo((4 * 0.75) / 9, 6);
    const [applied] = guardFolds(field, 0.25);
    expect(applied).toBeLessThan(1);
    expect(minJacobianDet(field)).toBeGreaterThanOrEqual(0.25 - 1e-3);
    expect(minJacobianDet(field)).toBeLessThan(0.26);
  });
});

describe('stacked contour compressions saturate', () => {
  const contour = ['cheekbone', 'cut_face', 'slim_face', 'slim_jaw', 'slim_chin'] as const;
  it('a single contour edit keeps its full effect (the cap only acts on combinations)', () => {
    const fx = landmarkFixture('face08')!;
    for (const shape of contour) {
      for (const strength of [1, -1]) {
        const items = [{ face: fx.faces[0], edits: [{ shape, strength }] }];
        const a = buildFieldWithInfo(fx.width, fx.height, items).field.data;
        const b = buildFieldWithInfo(fx.width, fx.height, items, { squeezeCap: 10 }).field.data;
        let max = 0;
        for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k] - b[k]));
        expect(max).toBeLessThan(1e-4);
      }
    }
  });

  it('all 22 shapes at ±1 stay unguarded (scale 1) on a frontal and a yawed face, and keep det J ≥ 0.245 on every fixture face, guarded or not', () => {
    for (const name of ['face08', 'face15']) {
      const fx = landmarkFixture(name)!;
      for (const s of [1, -1]) {
        const { field, scales } = buildFieldWithInfo(fx.width, fx.height, [{ face: fx.faces[0], edits: all(s) }]);
        expect(scales, `${name} at ${s}`).toEqual([1]);
        expect(minJacobianDet(field)).toBeGreaterThan(0.245);
      }
    }
    // Elsewhere the guard may act (face04 and face09's second child at +1): it must leave no fold.
    for (const name of ['face01', 'face02', 'face04', 'face07', 'face09', 'face10']) {
      const fx = landmarkFixture(name)!;
      for (const face of fx.faces) {
        for (const s of [1, -1]) {
          const { field } = buildFieldWithInfo(fx.width, fx.height, [{ face, edits: all(s) }]);
          expect(minJacobianDet(field), `${name} at ${s}`).toBeGreaterThan(0.245);
        }
      }
    }
  });

  it('squeezeFactor: 1 for one edit, bounded by max(cap, strongest) for several', () => {
    expect(squeezeFactor(0.12, 0.12)).toBe(1);
    expect(squeezeFactor(0, 0)).toBe(1);
    // two equal edits of 0.12: m = 0.12·2^¼
    const m = 0.12 * Math.SQRT2 ** 0.5;
    const f = squeezeFactor(0.24, m, 0.15);
    expect(0.24 * f).toBeGreaterThanOrEqual(m);
    expect(0.24 * f).toBeLessThanOrEqual(0.15);
    // barely overlapping edits add up
    expect(squeezeFactor(0.0101, 0.01, 0.15)).toBeCloseTo(1, 3);
    // monotone in K
    let prev = 0;
    for (let K = 0.13; K < 1; K += 0.01) {
      const v = K * squeezeFactor(K, 0.12, 0.15);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });
});
