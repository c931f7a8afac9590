import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildField } from '../../src/field/build';
import { minJacobianDet } from '../../src/field/jacobian';
import { FaceGeometry } from '../../src/shapes/frame';
import { SHAPE_NAMES } from '../../src/shapes/names';
import { usePage } from '../support/browser';
import { HAS_SHARED, SHARED_FIXTURES } from '../support/env';
import { gpuCpuParity, reshapeAndRedetect, reshapeRaw } from '../support/page-fns';
import { diffInBox, diffStats, faceWidth, fromB64 } from '../support/pixels';
import { convexHull, distToHull } from '../unit/helpers/hull';
import { forwardPoints } from '../unit/helpers/proxy';

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

  it('no folds: the field of all 22 shapes at +1 and at −1 keeps det J > 0.2 on every face found', async () => {
    const urls = [...COMMITTED, ...SHARED_FACES];
    for (const url of urls) {
      const r = await page().page.evaluate(reshapeAndRedetect, url, [], 'cpu' as const);
      for (const edits of [ALL_PLUS, ALL_MINUS]) {
        if (!r.before.length) continue;
        const field = buildField(r.width, r.height, r.before.map((face) => ({ face, edits })));
        expect(minJacobianDet(field), url).toBeGreaterThan(0.2);
      }
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

  it('a rolled face is warped along its own axes: both jaw sides move inward symmetrically in face space', async () => {
    // Synthetic roll: the committed Debian portrait rotated 25° in the page.
    const r = await page().page.evaluate(async () => {
      const bmp = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob());
      const c = new OffscreenCanvas(760, 760);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#6a8fc0';
      ctx.fillRect(0, 0, 760, 760);
      ctx.translate(380, 380);
      ctx.rotate((25 * Math.PI) / 180);
      ctx.drawImage(bmp, -bmp.width / 2, -bmp.height / 2);
      const blob = await c.convertToBlob({ type: 'image/png' });
      (window as any).rolledUrl = URL.createObjectURL(blob);
      return (window as any).rolledUrl as string;
    });
    const res = await page().page.evaluate(reshapeAndRedetect, r, [{ edits: [{ shape: 'slim_jaw', strength: 1 }] }], 'webgpu' as const);
    expect(res.before).toHaveLength(1);
    expect(Math.abs(res.before[0].pose.roll - 25)).toBeLessThan(8);
    const before = res.before[0].landmarks;
    const after = res.after[0][0].landmarks;
    const g = new FaceGeometry(before);
    // Inward motion of each jaw side along the face's own x axis, relative to that side's half-width.
    const inward = (i: number) => {
      const du = g.ux[0] * (after[i][0] - before[i][0]) + g.ux[1] * (after[i][1] - before[i][1]);
      const side = Math.sign(g.u(i));
      return (-side * du) / Math.abs(g.u(i) - g.mid(g.v(i)));
    };
    const pairs: Array<[number, number]> = [
      [172, 397],
      [58, 288],
    ];
    // The field, built from the landmarks detected on the rolled photo, moves the two sides by the
    // same fraction of their half-widths along the face's own axis (and not along the image axes).
    const field = buildField(res.width, res.height, [{ face: res.before[0], edits: [{ shape: 'slim_jaw', strength: 1 }] }]);
    const moved = forwardPoints(field, before);
    const inwardField = (i: number) => {
      const du = g.ux[0] * (moved[i][0] - before[i][0]) + g.ux[1] * (moved[i][1] - before[i][1]);
      const dv = g.uy[0] * (moved[i][0] - before[i][0]) + g.uy[1] * (moved[i][1] - before[i][1]);
      return { rel: (-Math.sign(g.u(i)) * du) / Math.abs(g.u(i) - g.mid(g.v(i))), dv };
    };
    for (const [a, b] of pairs) {
      const [fa, fb] = [inwardField(a), inwardField(b)];
      expect(fa.rel, `${a}: field moves it inward`).toBeGreaterThan(0.02);
      expect(Math.abs(fa.rel - fb.rel) / Math.max(fa.rel, fb.rel), `${a}/${b}: symmetric in face space`).toBeLessThan(0.15);
      // Re-detected on the warped image: both sides really move inward.
      expect(inward(a), `${a} re-detected inward`).toBeGreaterThan(0);
      expect(inward(b), `${b} re-detected inward`).toBeGreaterThan(0);
    }
  });
});
