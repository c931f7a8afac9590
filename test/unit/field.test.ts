import { describe, expect, it } from 'vitest';
import { buildField, buildFieldWithInfo } from '../../src/field/build';
import { cellFor } from '../../src/field/plan';
import { FieldScratch } from '../../src/field/scratch';
import type { DisplacementField } from '../../src/field/types';
import { SHAPE_NAMES } from '../../src/shapes/names';
import type { Face } from '../../src/types';
import { landmarkFixture, landmarkFixtures, scaleFace } from './helpers/fixtures';
import { convexHull, distToHull } from './helpers/hull';

const all = (strength: number) => SHAPE_NAMES.map((shape) => ({ shape, strength }));
const width = (f: Face) => Math.hypot(f.landmarks[234][0] - f.landmarks[454][0], f.landmarks[234][1] - f.landmarks[454][1]);

function checkStructure(field: DisplacementField) {
  const { data } = field;
  for (const r of field.regions) {
    // Pixel rect inside the image and inside the grid; the grid clipped to the image IS the rect.
    expect(r.px0).toBeGreaterThanOrEqual(0);
    expect(r.py0).toBeGreaterThanOrEqual(0);
    expect(r.px1).toBeLessThanOrEqual(field.width);
    expect(r.py1).toBeLessThanOrEqual(field.height);
    expect(r.px0).toBe(Math.max(0, r.x0));
    expect(r.py0).toBe(Math.max(0, r.y0));
    expect(r.px1).toBe(Math.min(field.width, r.x0 + (r.cols - 1) * r.cell));
    expect(r.py1).toBe(Math.min(field.height, r.y0 + (r.rows - 1) * r.cell));
    // Outer ring of nodes exactly zero.
    for (let i = 0; i < r.cols; i++)
      for (const j of [0, r.rows - 1]) {
        const k = (r.offset + j * r.cols + i) * 2;
        expect(data[k] === 0 && data[k + 1] === 0).toBe(true);
      }
    for (let j = 0; j < r.rows; j++)
      for (const i of [0, r.cols - 1]) {
        const k = (r.offset + j * r.cols + i) * 2;
        expect(data[k] === 0 && data[k + 1] === 0).toBe(true);
      }
  }
  // Regions never overlap.
  field.regions.forEach((a, i) =>
    field.regions.forEach((b, j) => {
      if (i < j) expect(a.px0 < b.px1 && b.px0 < a.px1 && a.py0 < b.py1 && b.py0 < a.py1).toBe(false);
    }),
  );
}

describe('buildField', () => {
  it('is empty for no faces, no edits and zero strengths', () => {
    const f = landmarkFixture('face01')!;
    expect(buildField(512, 512, []).regions).toEqual([]);
    expect(buildField(512, 512, [{ face: f.faces[0], edits: [] }]).regions).toEqual([]);
    expect(buildField(512, 512, [{ face: f.faces[0], edits: all(0) }]).data.length).toBe(0);
  });

  it('cell is 4–8 px, scaled with the face', () => {
    expect(cellFor(600)).toBe(8);
    expect(cellFor(300)).toBe(4);
    expect(cellFor(100)).toBe(4);
  });

  for (const fx of landmarkFixtures()) {
    it(`locality and structure on ${fx.name}, all 22 shapes at ±1`, () => {
      for (const s of [1, -1]) {
        const field = buildField(fx.width, fx.height, fx.faces.map((face) => ({ face, edits: all(s) })));
        expect(field.regions.length).toBeGreaterThan(0);
        checkStructure(field);
        const hulls = fx.faces.map((f) => ({ h: convexHull(f.landmarks), w: width(f) }));
        // Every non-zero node, grown by the cell diagonal (bilinear spread), is within 0.5 W of some face's hull.
        for (const r of field.regions) {
          for (let j = 0; j < r.rows; j++)
            for (let i = 0; i < r.cols; i++) {
              const k = (r.offset + j * r.cols + i) * 2;
              if (field.data[k] === 0 && field.data[k + 1] === 0) continue;
              const x = r.x0 + i * r.cell;
              const y = r.y0 + j * r.cell;
              const ok = hulls.some(({ h, w }) => distToHull(h, x, y) + r.cell * Math.SQRT2 <= 0.5 * w);
              expect(ok, `node (${x}, ${y})`).toBe(true);
            }
        }
      }
    });
  }

  it('merges the regions of overlapping faces and keeps distant faces apart', () => {
    const f = landmarkFixture('face01')!.faces[0];
    const near = scaleFace(f, 1, 0, 0, 70, 0);
    const far = scaleFace(f, 1, 0, 0, 600, 0);
    const merged = buildField(1200, 512, [
      { face: f, edits: all(1) },
      { face: near, edits: all(1) },
    ]);
    expect(merged.regions).toHaveLength(1);
    checkStructure(merged);
    const apart = buildField(1200, 512, [
      { face: f, edits: all(1) },
      { face: far, edits: all(1) },
    ]);
    expect(apart.regions).toHaveLength(2);
    checkStructure(apart);
  });

  it('clips regions of faces at the image border', () => {
    const f = landmarkFixture('face01')!.faces[0];
    const edge = scaleFace(f, 1, 0, 0, -190, -80); // face partly outside the top-left corner
    const field = buildField(512, 512, [{ face: edge, edits: all(1) }]);
    checkStructure(field);
    expect(field.regions[0].px0).toBe(0);
    expect(field.regions[0].py0).toBe(0);
  });

  it('builds all 22 shapes on a 600 px face quickly', () => {
    const f = landmarkFixture('face01')!.faces[0];
    const big = scaleFace(f, 600 / width(f), 225, 125, 735, 315);
    const items = [{ face: big, edits: all(1) }];
    for (let i = 0; i < 5; i++) buildFieldWithInfo(1920, 1080, items);
    const t0 = performance.now();
    const info = buildFieldWithInfo(1920, 1080, items);
    const ms = performance.now() - t0;
    expect(info.field.regions[0].cell).toBe(8);
    expect(ms).toBeLessThan(200); // generous: speed is benchmarked, not tested
  });
});

describe('field scratch (per-frame builds)', () => {
  it('gives the same field as a fresh build and reuses its arrays on the next build', () => {
    const fx = landmarkFixture('face08')!;
    const items = [{ face: fx.faces[0], edits: [{ shape: 'slim_face' as const, strength: 1 }, { shape: 'big_eyes' as const, strength: 0.7 }] }];
    const fresh = buildField(fx.width, fx.height, items);
    const scratch = new FieldScratch();
    const a = buildField(fx.width, fx.height, items, { scratch });
    expect(Array.from(a.data)).toEqual(Array.from(fresh.data));
    expect(a.regions).toEqual(fresh.regions);
    const buffer = a.data.buffer;
    const b = buildField(fx.width, fx.height, [{ face: fx.faces[0], edits: [{ shape: 'lip_size', strength: -1 }] }], { scratch });
    expect(b.data.buffer).toBe(buffer);
    const c = buildField(fx.width, fx.height, items, { scratch });
    expect(Array.from(c.data)).toEqual(Array.from(fresh.data));
  });
});
