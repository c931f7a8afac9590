import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaceGeometry } from '../../src/shapes/frame';
import { SHAPE_NAMES } from '../../src/shapes/names';
import { usePage } from '../support/browser';
import { HAS_SHARED, SHARED_FIXTURES } from '../support/env';
import { trackPoints, greyWindow } from '../support/flow';
import { appliedFieldDets, gpuCpuParity, reshapeAndRedetect, reshapeRaw } from '../support/page-fns';
import { diffInBox, diffStats, faceWidth, fromB64 } from '../support/pixels';
import { convexHull, distToHull } from '../unit/helpers/hull';

/** The rules every shape keeps (contract section 3), on real photos through the real pipeline. */
const ALL_PLUS = SHAPE_NAMES.map((shape) => ({ shape, strength: 1 }));
const ALL_MINUS = SHAPE_NAMES.map((shape) => ({ shape, strength: -1 }));
const COMMITTED = ['/test-fixtures/grace_hopper.jpg', '/test-fixtures/astronaut.png'];
const SHARED_FACES = HAS_SHARED ? readdirSync(resolve(SHARED_FIXTURES, 'faces')).sort().map((f) => '/fixtures/faces/' + f) : [];

describe('engine rules in headless Chromium (WebGPU on SwiftShader and the CPU reference)', () => {
  const page = usePage();

  it('identity: no edits, or strength 0, returns the decoded input bit for bit (both backends)', async () => {
    for (const backend of ['webgpu', 'cpu'] as const) {
      for (const url of COMMITTED) {
        const r = await page().page.evaluate(reshapeRaw, url, [[], [{ shape: 'slim_face', strength: 0 }], SHAPE_NAMES.map((shape) => ({ shape, strength: 0 }))], backend, {});
        expect(r.faces.length, url).toBe(1);
        const input = fromB64(r.input);
        for (const o of r.outputs) expect(diffStats(fromB64(o), input), `${backend} ${url}`).toEqual({ mean: 0, max: 0 });
      }
    }
  });

  it('locality: nothing farther than 0.5 × face width from the landmark hull changes, all 22 shapes at ±1', async () => {
    const urls = [...COMMITTED, ...SHARED_FACES.filter((u) => /face09|face07/.test(u))];
    for (const url of urls) {
      const r = await page().page.evaluate(reshapeRaw, url, [ALL_PLUS, ALL_MINUS], 'webgpu' as const, {});
      const input = fromB64(r.input);
      const hulls = r.faces.map((f) => ({ hull: convexHull(f.landmarks), reach: 0.5 * faceWidth(f) }));
      for (const o of r.outputs) {
        const out = fromB64(o);
        let far = 0;
        let worst = 0;
        for (let y = 0; y < r.height; y++) {
          for (let x = 0; x < r.width; x++) {
            if (hulls.some((h) => distToHull(h.hull, x + 0.5, y + 0.5) <= h.reach)) continue;
            far++;
            const i = (y * r.width + x) * 4;
            for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(out[i + c] - input[i + c]));
          }
        }
        expect(far, `${url}: pixels outside the reach`).toBeGreaterThan(r.width * r.height * 0.1);
        expect(worst, `${url}: max change outside 0.5 × face width of the hull`).toBeLessThanOrEqual(1);
        // And the face itself did change.
        for (const f of r.faces) expect(diffInBox(out, input, r.width, f.box), `${url}: face changed`).toBeGreaterThan(1);
      }
    }
  });

  it('no folds: the field the warp applies (fold guard included) for all 22 shapes at +1 and at −1 keeps det J > 0.2 on every face found', async () => {
    const urls = [...COMMITTED, ...SHARED_FACES];
    const r = await page().page.evaluate(appliedFieldDets, urls, [ALL_PLUS, ALL_MINUS]);
    for (const { url, dets, faces } of r) {
      console.log(`applied field det J min: ${url.split('/').pop()} ${faces} face(s): ${dets.map((d) => d.toFixed(3)).join(' / ')}`);
      if (!faces) continue;
      for (const d of dets) expect(d, url).toBeGreaterThan(0.2);
    }
  });

  it.skipIf(!HAS_SHARED)('multi-face: every face changes, the face count is preserved', async () => {
    for (const url of ['/fixtures/faces/face09_two_children.jpg', '/fixtures/faces/face07_three_people_glasses.jpg']) {
      const r = await page().page.evaluate(reshapeRaw, url, [[{ shape: 'big_eyes', strength: 1 }, { shape: 'slim_face', strength: 1 }, { shape: 'lip_size', strength: 1 }]], 'webgpu' as const, {});
      const input = fromB64(r.input);
      const out = fromB64(r.outputs[0]);
      expect(r.faces.length, url).toBeGreaterThanOrEqual(2);
      for (const f of r.faces) expect(diffInBox(out, input, r.width, f.box), `${url}: each face changed`).toBeGreaterThan(1);
      const again = await page().page.evaluate(reshapeAndRedetect, url, [{ edits: [{ shape: 'big_eyes', strength: 1 }, { shape: 'slim_face', strength: 1 }, { shape: 'lip_size', strength: 1 }] }], 'webgpu' as const);
      expect(again.after[0].length, `${url}: faces detected in the output`).toBe(again.before.length);
    }
  });

  it('combination: 5 edits in one call are one resample (matches the CPU single-pass reference, differs from a chain)', async () => {
    const edits = [
      { shape: 'slim_face', strength: 0.8 },
      { shape: 'big_eyes', strength: 0.6 },
      { shape: 'slim_nose', strength: 0.7 },
      { shape: 'lip_size', strength: -0.5 },
      { shape: 'chin_shorten', strength: 0.5 },
    ];
    const url = '/test-fixtures/grace_hopper.jpg';
    const gpu = await page().page.evaluate(reshapeRaw, url, [edits], 'webgpu' as const, {});
    const cpu = await page().page.evaluate(reshapeRaw, url, [edits], 'cpu' as const, {});
    const chain = await page().page.evaluate(reshapeRaw, url, [edits], 'webgpu' as const, { chain: true });
    const one = fromB64(gpu.outputs[0]);
    const vsCpu = diffStats(one, fromB64(cpu.outputs[0]));
    expect(vsCpu.mean).toBeLessThanOrEqual(0.5);
    expect(vsCpu.max).toBeLessThanOrEqual(3);
    // A chain of five resamples (each blurring and displacing the previous result) is measurably
    // farther from the single-pass reference than the GPU's one pass is.
    const box = gpu.faces[0].box;
    const ref = fromB64(cpu.outputs[0]);
    const oneInFace = diffInBox(one, ref, gpu.width, box);
    const chainInFace = diffInBox(fromB64(chain.outputs[0]), ref, gpu.width, box);
    console.log(`combination, mean abs diff to the CPU single pass inside the face box: one pass ${oneInFace.toFixed(4)}, chain of 5 ${chainInFace.toFixed(4)}`);
    expect(chainInFace).toBeGreaterThan(10 * oneInFace + 0.02);
  });

  it('parity: GPU and CPU warps agree on every fixture (mean ≤ 0.5, max ≤ 3 of 255), all 22 shapes at +1, field built on either side', async () => {
    const rows: string[] = [];
    for (const url of [...COMMITTED, ...SHARED_FACES]) {
      const s = await page().page.evaluate(gpuCpuParity, url, ALL_PLUS);
      rows.push(`${url.split('/').pop()!.padEnd(44)} ${s.width}×${s.height} faces ${s.faces}  mean ${s.mean.toFixed(4)}  max ${s.max}  changed ${s.changed}  (GPU-built field: mean ${s.gpuField.mean.toFixed(4)} max ${s.gpuField.max})`);
      expect(s.mean, url).toBeLessThanOrEqual(0.5);
      expect(s.max, url).toBeLessThanOrEqual(3);
      expect(s.gpuField.mean, `${url}, field built on the GPU`).toBeLessThanOrEqual(0.5);
      expect(s.gpuField.max, `${url}, field built on the GPU`).toBeLessThanOrEqual(3);
      if (s.faces > 0) expect(s.changed, `${url}: the warp did something`).toBeGreaterThan(0);
    }
    console.log('GPU vs CPU parity:\n' + rows.join('\n'));
  });

  it('a rolled face is warped along its own axes: both jaw sides move inward symmetrically in face space, by pixel motion', async () => {
    // Synthetic roll: the committed Debian portrait rotated 25° in the page.
    const url = await page().page.evaluate(async () => {
      const bmp = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob());
      const c = new OffscreenCanvas(760, 760);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#6a8fc0';
      ctx.fillRect(0, 0, 760, 760);
      ctx.translate(380, 380);
      ctx.rotate((25 * Math.PI) / 180);
      ctx.drawImage(bmp, -bmp.width / 2, -bmp.height / 2);
      return URL.createObjectURL(await c.convertToBlob({ type: 'image/png' }));
    });
    const r = await page().page.evaluate(reshapeRaw, url, [[{ shape: 'slim_jaw', strength: 1 }]], 'webgpu' as const, {});
    expect(r.faces).toHaveLength(1);
    expect(Math.abs(r.faces[0].pose.roll - 25)).toBeLessThan(8);
    const before = r.faces[0].landmarks;
    const g = new FaceGeometry(before);
    // The jaw's mirror pairs, taken a little inside the outline (toward the landmark 1, the nose
    // tip) so the tracker sees skin on both sides of its window, not the background.
    const pairs: Array<[number, number]> = [
      [172, 397],
      [58, 288],
      [136, 365],
    ];
    const inside = (i: number): [number, number] => [before[i][0] + 0.2 * (before[1][0] - before[i][0]), before[i][1] + 0.2 * (before[1][1] - before[i][1])];
    const points = pairs.flat().map(inside);
    const grey = (b64: string) => greyWindow(fromB64(b64), r.width, r.height);
    const tracked = await trackPoints(grey(r.input), grey(r.outputs[0]), points);
    // Motion along the face's own x axis toward its midline, relative to the point's distance from it.
    const inward = (k: number) => {
      const [x, y] = points[k];
      const [tx, ty] = tracked.pts[k];
      const du = g.ux[0] * (tx - x) + g.ux[1] * (ty - y);
      const [u, v] = g.toFace(x, y);
      return (-Math.sign(u - g.mid(v)) * du) / Math.abs(u - g.mid(v));
    };
    const measured = pairs.map((_, p) => ({ ok: tracked.ok[2 * p] && tracked.ok[2 * p + 1], a: inward(2 * p), b: inward(2 * p + 1) }));
    console.log(`rolled face, slim_jaw by pixel motion (relative inward motion, each side): ${measured.map((m, p) => `${pairs[p].join('/')} ${m.ok ? `${m.a.toFixed(3)} / ${m.b.toFixed(3)}` : 'untracked'}`).join(', ')}`);
    const used = measured.filter((m) => m.ok);
    expect(used.length, 'mirror pairs tracked on both sides').toBeGreaterThanOrEqual(2);
    for (const m of used) {
      expect(m.a, 'moves inward').toBeGreaterThan(0.02);
      expect(m.b, 'moves inward').toBeGreaterThan(0.02);
      expect(Math.abs(m.a - m.b) / Math.max(m.a, m.b), 'symmetric in face space').toBeLessThan(0.2);
    }
  });

  it('straight lines in the background stay straight (within 0.5 px) beyond the faces’ reach, all 22 shapes at ±1', async () => {
    // A grid drawn around the committed portrait: 2 px black lines every 40 px on white.
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const bmp = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob());
      const c = new OffscreenCanvas(1100, 900);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.fillStyle = '#000';
      for (let x = 19; x < c.width; x += 40) ctx.fillRect(x, 0, 2, c.height);
      for (let y = 19; y < c.height; y += 40) ctx.fillRect(0, y, c.width, 2);
      const photo = [294, 150, bmp.width, bmp.height];
      ctx.drawImage(bmp, photo[0], photo[1]);
      const url = URL.createObjectURL(await c.convertToBlob({ type: 'image/png' }));
      return { url, photo };
    });
    const ALL = (s: number) => SHAPE_NAMES.map((shape) => ({ shape, strength: s }));
    const res = await page().page.evaluate(reshapeRaw, r.url, [ALL(1), ALL(-1)], 'webgpu' as const, {});
    expect(res.faces).toHaveLength(1);
    const face = res.faces[0];
    const hull = convexHull(face.landmarks);
    const reach = 0.5 * faceWidth(face);
    const [px, py, pw, ph] = r.photo;
    const W = res.width;
    const H = res.height;
    /** A 13-px window across a line is usable where it is outside the photo and beyond the face's reach. */
    const usable = (x0: number, y0: number, x1: number, y1: number) => {
      if (x1 > px && x0 < px + pw && y1 > py && y0 < py + ph) return false;
      for (const [x, y] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, (y0 + y1) / 2]]) if (distToHull(hull, x, y) <= reach) return false;
      return true;
    };
    // Centre of darkness across the line at each step along it; then the largest deviation from the best straight fit.
    const deviation = (img: ArrayLike<number>, vertical: boolean, at: number): { samples: number; max: number } => {
      const pts: Array<[number, number]> = [];
      const along = vertical ? H : W;
      for (let t = 0; t < along; t++) {
        // Not where a crossing line fills the window (its darkness would pull the centre).
        if (Math.abs(((t - 20 + 20) % 40) - 20) <= 8) continue;
        const lo = at - 6;
        const hi = at + 7;
        if (vertical ? !usable(lo, t, hi, t + 1) : !usable(t, lo, t + 1, hi)) continue;
        let sum = 0;
        let moment = 0;
        for (let q = Math.max(0, lo); q < Math.min(vertical ? W : H, hi); q++) {
          const i = (vertical ? t * W + q : q * W + t) * 4;
          const dark = 255 - img[i];
          sum += dark;
          moment += dark * (q + 0.5);
        }
        if (sum > 0) pts.push([t, moment / sum]);
      }
      if (pts.length < 2) return { samples: pts.length, max: 0 };
      const n = pts.length;
      const mt = pts.reduce((a, p) => a + p[0], 0) / n;
      const mc = pts.reduce((a, p) => a + p[1], 0) / n;
      const slope = pts.reduce((a, p) => a + (p[0] - mt) * (p[1] - mc), 0) / pts.reduce((a, p) => a + (p[0] - mt) ** 2, 0);
      return { samples: n, max: Math.max(...pts.map(([t, c]) => Math.abs(c - (mc + slope * (t - mt))))) };
    };
    for (const [k, o] of res.outputs.entries()) {
      const out = fromB64(o);
      let lines = 0;
      let samples = 0;
      let worst = 0;
      for (const vertical of [true, false]) {
        for (let at = 20; at < (vertical ? W : H); at += 40) {
          const d = deviation(out, vertical, at);
          if (d.samples < 20) continue;
          lines++;
          samples += d.samples;
          worst = Math.max(worst, d.max);
        }
      }
      console.log(`straight lines, all 22 at ${k ? -1 : 1}: ${lines} lines, ${samples} samples beyond the reach, largest deviation ${worst.toFixed(3)} px`);
      expect(lines).toBeGreaterThan(40);
      expect(worst).toBeLessThanOrEqual(0.5);
    }
  });
});
