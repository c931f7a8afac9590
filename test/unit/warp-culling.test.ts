import { Staging } from '../../src/gpu/sizing';
import { describe, expect, it } from 'vitest';
import { buildField } from '../../src/field/build';
import { planField, type FieldItem } from '../../src/field/plan';
import { sampleRegion } from '../../src/field/grid';
import type { DisplacementField } from '../../src/field/types';
import { SHAPE_NAMES } from '../../src/shapes/names';
import { boundsLive, buildSpans, buildTiles, nodesLive, SPAN_BYTES, TILE_BYTES, TILE_CELLS } from '../../src/warp/culling';
import { landmarkFixture, scaleFace } from './helpers/fixtures';

/**
 * What the GPU warp draws (src/warp/culling.ts): every pixel where the field is not zero must be
 * drawn by both forms (a dropped one would show the unwarped source), and the compute form's
 * tile list must be padded to its dispatch size with records the shader skips.
 */

function realItems(strength: number): FieldItem[] {
  const f = landmarkFixture('face01')!.faces[0];
  const w0 = Math.hypot(f.landmarks[234][0] - f.landmarks[454][0], f.landmarks[234][1] - f.landmarks[454][1]);
  // A 300 px face, pushed against the right edge so its region is clipped by the image.
  const cx = (f.box[0] + f.box[2]) / 2;
  const cy = (f.box[1] + f.box[3]) / 2;
  const face = scaleFace(f, 300 / w0, cx, cy, 640 - cx, 330 - cy);
  return [{ face, edits: SHAPE_NAMES.map((shape) => ({ shape, strength })) }];
}

function realField(strength: number): DisplacementField {
  return buildField(800, 600, realItems(strength));
}

/** Pixels whose interpolated d is not zero, as a mask over the image. */
function liveMask(field: DisplacementField): Uint8Array {
  const mask = new Uint8Array(field.width * field.height);
  const o = { dx: 0, dy: 0 };
  for (const r of field.regions) {
    for (let y = Math.max(0, r.py0); y < Math.min(field.height, r.py1); y++) {
      for (let x = Math.max(0, r.px0); x < Math.min(field.width, r.px1); x++) {
        sampleRegion(field, r, x + 0.5, y + 0.5, o);
        if (o.dx !== 0 || o.dy !== 0) mask[y * field.width + x] = 1;
      }
    }
  }
  return mask;
}

describe('warp culling', () => {
  for (const strength of [1, -1]) {
    it(`render-form spans cover every pixel the field moves, and nothing outside its regions (all 22 at ${strength}, clipped region)`, () => {
      const field = realField(strength);
      const staging = new Staging();
      const count = buildSpans(field.regions, nodesLive(field), false, field.width, field.height, 32, staging);
      const drawn = new Uint8Array(field.width * field.height);
      const f = new Float32Array(staging.buffer);
      for (let s = 0; s < count; s++) {
        const [x0, y0, x1, y1] = f.subarray((s * SPAN_BYTES) / 4, (s * SPAN_BYTES) / 4 + 4);
        expect(x0).toBeGreaterThanOrEqual(0);
        expect(x1).toBeLessThanOrEqual(field.width);
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) drawn[y * field.width + x]++;
      }
      const live = liveMask(field);
      let missed = 0;
      let twice = 0;
      let liveCount = 0;
      for (let k = 0; k < live.length; k++) {
        if (live[k]) liveCount++;
        if (live[k] && !drawn[k]) missed++;
        if (drawn[k] > 1) twice++;
      }
      expect(liveCount).toBeGreaterThan(20000);
      expect(missed).toBe(0);
      expect(twice).toBe(0);
    });

    it(`compute-form tiles list exactly the 8×8-cell tiles with a non-zero node, padded to the dispatch (all 22 at ${strength})`, () => {
      const field = realField(strength);
      const staging = new Staging();
      const { count, groups } = buildTiles(field.regions, nodesLive(field), field.width, field.height, staging);
      const u = new Uint32Array(staging.buffer);
      expect(groups[0] * groups[1]).toBeGreaterThanOrEqual(count);
      expect(groups[0] * groups[1] - count).toBeLessThan(groups[0]);
      const listed = new Set<string>();
      for (let t = 0; t < groups[0] * groups[1]; t++) {
        const [region, i0, j0] = u.subarray((t * TILE_BYTES) / 4, (t * TILE_BYTES) / 4 + 3);
        if (t >= count) {
          expect(region).toBe(0xffffffff);
          continue;
        }
        listed.add(`${region}:${i0}:${j0}`);
      }
      expect(listed.size).toBe(count);
      const live = liveMask(field);
      field.regions.forEach((r, index) => {
        for (let j0 = 0; j0 < r.rows - 1; j0 += TILE_CELLS) {
          for (let i0 = 0; i0 < r.cols - 1; i0 += TILE_CELLS) {
            // Pixels of this tile (pixel centre in its cells), inside the image.
            let moved = 0;
            for (let y = Math.max(0, r.py0); y < Math.min(field.height, r.py1); y++) {
              const cj = Math.min(Math.floor((y + 0.5 - r.y0) / r.cell), r.rows - 2);
              if (cj < j0 || cj >= j0 + TILE_CELLS) continue;
              for (let x = Math.max(0, r.px0); x < Math.min(field.width, r.px1); x++) {
                const ci = Math.min(Math.floor((x + 0.5 - r.x0) / r.cell), r.cols - 2);
                if (ci >= i0 && ci < i0 + TILE_CELLS && live[y * field.width + x]) moved++;
              }
            }
            if (moved > 0) expect(listed.has(`${index}:${i0}:${j0}`), `tile ${i0},${j0} moves ${moved} px but is not listed`).toBe(true);
          }
        }
      });
      expect(count).toBeGreaterThan(10);
    });
  }

  it('a plan (field computed on the GPU) lists every tile the built field needs, from its primitives alone', () => {
    for (const strength of [1, -1, 0.3]) {
      const field = realField(strength);
      const plan = planField(800, 600, realItems(strength));
      expect(plan.regions).toEqual(field.regions);
      const exact = new Staging();
      const fromBounds = new Staging();
      const a = buildTiles(field.regions, nodesLive(field), 800, 600, exact);
      const b = buildTiles(plan.regions, boundsLive(plan), 800, 600, fromBounds);
      const key = (s: { buffer: ArrayBuffer }, n: number) => {
        const u = new Uint32Array(s.buffer);
        return new Set(Array.from({ length: n }, (_, t) => `${u[t * 4]}:${u[t * 4 + 1]}:${u[t * 4 + 2]}`));
      };
      const need = key(exact, a.count);
      const have = key(fromBounds, b.count);
      for (const t of need) expect(have.has(t), `tile ${t}`).toBe(true);
      // Conservative, not everything: the bounds are the primitives' ellipses' boxes.
      expect(b.count).toBeLessThanOrEqual(a.count * 1.5);
    }
  });

  it('splits a dispatch of more than 65535 tiles into rows of at most 65535', () => {
    const size = 2080; // cell 1 → 260 × 260 = 67600 tiles of 8 × 8 px
    const cols = size + 1;
    const data = new Float32Array(cols * cols * 2).fill(0.25);
    const field: DisplacementField = {
      width: size,
      height: size,
      regions: [{ x0: 0, y0: 0, cell: 1, cols, rows: cols, offset: 0, px0: 0, py0: 0, px1: size, py1: size }],
      data,
    };
    const staging = new Staging();
    const { count, groups } = buildTiles(field.regions, nodesLive(field), size, size, staging);
    expect(count).toBe(260 * 260);
    expect(groups).toEqual([65535, 2]);
    const u = new Uint32Array(staging.buffer);
    expect(u[(count - 1) * 4]).toBe(0);
    expect(u[count * 4]).toBe(0xffffffff);
    expect(u[(65535 * 2 - 1) * 4]).toBe(0xffffffff);
  });
});
