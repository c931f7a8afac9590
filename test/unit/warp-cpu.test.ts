import { describe, expect, it } from 'vitest';
import { buildField } from '../../src/field/build';
import type { DisplacementField, FieldRegion } from '../../src/field/types';
import { SHAPE_NAMES } from '../../src/shapes/names';
import { warpCpu } from '../../src/warp/cpu';
import { warpReference } from './helpers/warp-reference';
import { landmarkFixture } from './helpers/fixtures';

function pattern(w: number, h: number): Uint8ClampedArray {
  const d = new Uint8ClampedArray(w * h * 4);
  let seed = 12345;
  for (let i = 0; i < d.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    d[i] = seed >>> 24;
  }
  return d;
}

/** A region covering the whole image with a constant displacement (no zero ring: test only). */
function constantField(w: number, h: number, dx: number, dy: number, cell = 4): DisplacementField {
  const cols = Math.ceil(w / cell) + 1;
  const rows = Math.ceil(h / cell) + 1;
  const data = new Float32Array(cols * rows * 2);
  for (let k = 0; k < cols * rows; k++) {
    data[2 * k] = dx;
    data[2 * k + 1] = dy;
  }
  const r: FieldRegion = { x0: 0, y0: 0, cell, cols, rows, offset: 0, px0: 0, py0: 0, px1: w, py1: h };
  return { width: w, height: h, regions: [r], data };
}

describe('warpCpu', () => {
  it('is bit-exact for an empty field and for a zero field', () => {
    const src = { width: 37, height: 23, data: pattern(37, 23) };
    expect(warpCpu(src, { width: 37, height: 23, regions: [], data: new Float32Array(0) }).data).toEqual(src.data);
    expect(warpCpu(src, constantField(37, 23, 0, 0)).data).toEqual(src.data);
    const out = warpCpu(src, constantField(37, 23, 0, 0));
    expect(out.data.buffer).not.toBe(src.data.buffer);
  });

  it('moves a pattern by an integer translation (clamp-to-edge at the border)', () => {
    const w = 40;
    const h = 30;
    const src = { width: w, height: h, data: pattern(w, h) };
    const out = warpCpu(src, constantField(w, h, 3, -2));
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, x + 3);
        const sy = Math.max(0, y - 2);
        for (let c = 0; c < 4; c++) expect(out.data[(y * w + x) * 4 + c]).toBe(src.data[(sy * w + sx) * 4 + c]);
      }
  });

  it('averages neighbours for a half-pixel shift (bilinear, round to nearest)', () => {
    const w = 8;
    const h = 1;
    const data = new Uint8ClampedArray(w * 4);
    for (let x = 0; x < w; x++) data.set([x * 10, 255 - x * 10, 7, 255], x * 4);
    const out = warpCpu({ width: w, height: h, data }, constantField(w, h, 0.5, 0));
    for (let x = 0; x < w - 1; x++) {
      expect(out.data[x * 4]).toBe(Math.round(x * 10 + 5));
      expect(out.data[x * 4 + 2]).toBe(7);
    }
    expect(out.data[(w - 1) * 4]).toBe((w - 1) * 10); // clamp to edge
  });

  it('matches the per-pixel reference on a real field (all 22 shapes)', () => {
    const fx = landmarkFixture('face02')!;
    const field = buildField(fx.width, fx.height, [{ face: fx.faces[0], edits: SHAPE_NAMES.map((shape) => ({ shape, strength: 1 })) }]);
    const src = { width: fx.width, height: fx.height, data: pattern(fx.width, fx.height) };
    // Random alpha, and opaque (a photo: the fast path's alpha shortcut).
    const opaque = { ...src, data: src.data.map((v, i) => ((i & 3) === 3 ? 255 : v)) };
    const outputs = [src, opaque].map((img) => {
      const a = warpCpu(img, field).data;
      const b = warpReference(img, field).data;
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
      expect(max).toBeLessThanOrEqual(1); // float32 vs float64 field interpolation only
      if (img === opaque) for (let i = 3; i < a.length; i += 4) if (a[i] !== 255) throw new Error(`alpha ${a[i]} at ${i}`);
      return a;
    });
    const a = outputs[0];
    // Pixels outside the regions are untouched.
    const r = field.regions[0];
    for (const [x, y] of [
      [r.px0 - 1, r.py0],
      [0, 0],
      [fx.width - 1, fx.height - 1],
    ]) {
      if (x < 0) continue;
      const k = (y * fx.width + x) * 4;
      expect(a.subarray(k, k + 4)).toEqual(src.data.subarray(k, k + 4));
    }
  });
});
