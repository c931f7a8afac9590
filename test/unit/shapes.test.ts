import { describe, expect, it } from 'vitest';
import { FaceReshapeError } from '../../src/errors';
import { SHAPE_FNS, SHAPES, shapePrimitives } from '../../src/shapes/index';
import { FaceGeometry } from '../../src/shapes/frame';
import { SHAPE_NAMES, shapeId, shapeName } from '../../src/shapes/names';
import { primitiveBounds } from '../../src/field/plan';
import { addPrimitive, falloff } from '../../src/shapes/primitives';
import { buildFieldWithInfo } from '../../src/field/build';
import { landmarkFixture, landmarkFixtures } from './helpers/fixtures';

const fx = landmarkFixture('face01')!;
const g = new FaceGeometry(fx.faces[0].landmarks);

describe('shape names', () => {
  it('lists the 22 cloud shapes in seed-id order', () => {
    expect(SHAPE_NAMES).toHaveLength(22);
    expect(SHAPE_NAMES[0]).toBe('cheekbone');
    expect(SHAPE_NAMES[8]).toBe('big_eyes');
    expect(SHAPE_NAMES[21]).toBe('philtrum');
    SHAPE_NAMES.forEach((n, i) => {
      expect(shapeId(n)).toBe(i);
      expect(shapeId(i)).toBe(i);
      expect(shapeName(i)).toBe(n);
    });
    expect(Object.keys(SHAPES)).toEqual([...SHAPE_NAMES]);
  });
  it('rejects unknown shapes with OUT_OF_RANGE naming the valid values', () => {
    for (const bad of [22, -1, 1.5, NaN, 'nose', 'Big_Eyes', '8']) {
      let err: unknown;
      try {
        shapeId(bad as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FaceReshapeError);
      expect((err as FaceReshapeError).code).toBe('OUT_OF_RANGE');
      expect((err as FaceReshapeError).message).toContain('0–21');
      expect((err as FaceReshapeError).message).toContain('lip_height');
    }
    expect(() => shapeName(22)).toThrow(FaceReshapeError);
  });
  it('rejects strengths outside [-1, 1]', () => {
    expect(() => shapePrimitives(g, 0, 1.01)).toThrow(FaceReshapeError);
    expect(() => shapePrimitives(g, 0, NaN)).toThrow(FaceReshapeError);
  });
});

describe('shape functions', () => {
  it('every shape returns primitives at ±1 and none at 0', () => {
    SHAPE_FNS.forEach((fn, id) => {
      expect(fn(g, 0), SHAPE_NAMES[id]).toEqual([]);
      expect(fn(g, 1).length, SHAPE_NAMES[id]).toBeGreaterThan(0);
      expect(fn(g, -1).length, SHAPE_NAMES[id]).toBeGreaterThan(0);
    });
  });
  it('negative strength moves every point the opposite way', () => {
    SHAPE_NAMES.forEach((name) => {
      const pos = SHAPES[name](g, 1);
      const neg = SHAPES[name](g, -1);
      let moved = 0;
      for (let i = 0; i < g.n; i += 3) {
        const a = { dx: 0, dy: 0 };
        const b = { dx: 0, dy: 0 };
        for (const p of pos) addPrimitive(p, g.x[i], g.y[i], a);
        for (const p of neg) addPrimitive(p, g.x[i], g.y[i], b);
        // Opposite and parallel; a shape may move less one way (philtrum lengthens by less than it shortens).
        expect(a.dx * b.dy - a.dy * b.dx, name).toBeCloseTo(0, 6);
        expect(a.dx * b.dx + a.dy * b.dy, name).toBeLessThanOrEqual(0);
        if (Math.hypot(a.dx, a.dy) > 0.5) expect(Math.hypot(b.dx, b.dy), name).toBeGreaterThan(0.5 * Math.hypot(a.dx, a.dy));
        moved += Math.hypot(a.dx, a.dy);
      }
      expect(moved, name).toBeGreaterThan(0);
    });
  });
  it('all 22 shapes at ±1 together need no fold guard on any landmark fixture (scale 1)', () => {
    // src/field/build.ts relies on this: the guard is a safety net, not part of any shape's design.
    for (const fx of landmarkFixtures()) {
      for (const strength of [1, -1]) {
        const { scales } = buildFieldWithInfo(fx.width, fx.height, fx.faces.map((face) => ({ face, edits: SHAPE_NAMES.map((shape) => ({ shape, strength })) })));
        expect(scales, `${fx.name} at ${strength}`).toEqual(scales.map(() => 1));
      }
    }
  });
  it('primitives have compact influence: zero motion outside their bounds', () => {
    for (const p of SHAPE_FNS.flatMap((fn) => fn(g, 1))) {
      const [x0, y0, x1, y1] = primitiveBounds(p);
      for (const [x, y] of [
        [x0 - 0.01, p.cy],
        [x1 + 0.01, p.cy],
        [p.cx, y0 - 0.01],
        [p.cx, y1 + 0.01],
      ]) {
        const o = { dx: 0, dy: 0 };
        addPrimitive(p, x, y, o);
        expect(o).toEqual({ dx: 0, dy: 0 });
      }
    }
  });
  it('falloff is 1 on the plateau, smooth and 0 at the rim', () => {
    expect(falloff(0, 0)).toBe(1);
    expect(falloff(0.16, 0.5)).toBe(1);
    expect(falloff(1, 0.3)).toBe(0);
    expect(falloff(0.999999, 0)).toBeLessThan(1e-15);
    // C1 at the plateau edge: slope just outside is ~0.
    expect(1 - falloff((0.5 + 1e-4) ** 2, 0.5)).toBeLessThan(1e-6);
  });
});

describe('face frame', () => {
  it('has unit axes, x across the face (33 → 263) and y down it (10 → 152)', () => {
    expect(Math.hypot(...g.ux)).toBeCloseTo(1, 12);
    expect(g.ux[0] * g.uy[0] + g.ux[1] * g.uy[1]).toBeCloseTo(0, 12);
    expect(g.u(263)).toBeGreaterThan(g.u(33));
    expect(g.v(152)).toBeGreaterThan(g.v(10));
    expect(g.width).toBeCloseTo(Math.hypot(g.x[234] - g.x[454], g.y[234] - g.y[454]), 9);
    const [u, v] = g.toFace(123, 45);
    const [x, y] = g.toImage(u, v);
    expect(x).toBeCloseTo(123, 9);
    expect(y).toBeCloseTo(45, 9);
  });
  it('foreshortens the far side of a turned face', () => {
    const turned = new FaceGeometry(landmarkFixture('face15')!.faces[0].landmarks);
    const a = turned.sideScale(234);
    const b = turned.sideScale(454);
    expect(Math.abs(a - b)).toBeGreaterThan(0.2);
    expect(a + b).toBeCloseTo(2, 9);
  });
});
