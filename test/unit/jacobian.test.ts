import { describe, expect, it } from 'vitest';
import { buildFieldWithInfo } from '../../src/field/build';
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
