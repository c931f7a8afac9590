import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';
import { ROOT } from '../support/env';

/**
 * The video path (src/video) in headless Chromium with the real model: a fake camera fed from a
 * Y4M file written here from test/fixtures/grace_hopper.jpg, reshaped live into an on-page
 * <canvas> with a 'webgpu' context. Also: faces appearing/leaving, and temporal smoothing measured
 * on the warped pixels. Speeds are printed, never asserted.
 */

const W = 640;
const H = 480;
const ARTIFACTS = resolve(ROOT, 'test', 'artifacts');

/** grace_hopper.jpg (512×600) cropped to 4:3 around the face, scaled to W×H, as YUV4MPEG2 4:2:0 (BT.601 limited range). */
function writeY4m(file: string, frames: number): void {
  const img = jpeg.decode(readFileSync(resolve(ROOT, 'test', 'fixtures', 'grace_hopper.jpg')), { useTArray: true });
  const cropY = 30;
  const cropH = Math.round((img.width * H) / W);
  const sample = (x: number, y: number, c: number) => {
    const sx = Math.min(img.width - 1, Math.max(0, ((x + 0.5) * img.width) / W - 0.5));
    const sy = Math.min(cropY + cropH - 1, Math.max(0, cropY + ((y + 0.5) * cropH) / H - 0.5));
    const x0 = Math.floor(sx), y0 = Math.floor(sy);
    const x1 = Math.min(img.width - 1, x0 + 1), y1 = Math.min(img.height - 1, y0 + 1);
    const fx = sx - x0, fy = sy - y0;
    const p = (xx: number, yy: number) => img.data[(yy * img.width + xx) * 4 + c];
    return (p(x0, y0) * (1 - fx) + p(x1, y0) * fx) * (1 - fy) + (p(x0, y1) * (1 - fx) + p(x1, y1) * fx) * fy;
  };
  const Y = new Uint8Array(W * H);
  const U = new Uint8Array((W / 2) * (H / 2));
  const V = new Uint8Array((W / 2) * (H / 2));
  const rgb = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = y * W + x;
      const r = sample(x, y, 0), g = sample(x, y, 1), b = sample(x, y, 2);
      rgb[k * 3] = r;
      rgb[k * 3 + 1] = g;
      rgb[k * 3 + 2] = b;
      Y[k] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }
  for (let y = 0; y < H / 2; y++) {
    for (let x = 0; x < W / 2; x++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const k = (2 * y + dy) * W + 2 * x + dx;
        r += rgb[k * 3] / 4;
        g += rgb[k * 3 + 1] / 4;
        b += rgb[k * 3 + 2] / 4;
      }
      U[y * (W / 2) + x] = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      V[y * (W / 2) + x] = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F30:1 Ip A1:1 C420jpeg\n`);
  const parts: Buffer[] = [header];
  for (let i = 0; i < frames; i++) parts.push(Buffer.from('FRAME\n'), Buffer.from(Y), Buffer.from(U), Buffer.from(V));
  writeFileSync(file, Buffer.concat(parts));
}

mkdirSync(ARTIFACTS, { recursive: true });
const Y4M = resolve(ARTIFACTS, 'camera-grace-hopper.y4m');
writeY4m(Y4M, 4);

interface Region {
  box: number[];
}

describe('video: live camera reshaping in headless Chromium', () => {
  const page = usePage({
    chromiumArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${Y4M}`],
  });

  it('reshapes camera frames continuously (lip_size), frame-to-frame, and only around the face; the re-detected mouth grows as for stills', async () => {
    const r = await page().page.evaluate(
      async (W, H) => {
        const w = window as any;
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: W, height: H } });
        const video = document.createElement('video');
        video.muted = true;
        video.playsInline = true;
        video.srcObject = stream;
        await video.play();
        const canvas = document.createElement('canvas');
        document.body.append(canvas);
        const stats: any[] = [];
        const errors: string[] = [];
        const t0 = performance.now();
        const vr = await w.lib.VideoReshaper.create({
          video,
          canvas,
          edits: [{ shape: 'lip_size', strength: 1 }],
          onFrame: (s: any) => stats.push(s),
          onError: (e: any) => { errors.push(`${e.code}: ${e.message}`); console.log('VR ERROR', e.code, e.message); },
        });
        const createMs = performance.now() - t0;
        const waitFrames = async (n: number) => {
          const start = stats.length;
          const deadline = performance.now() + 30_000;
          while (stats.length < start + n && performance.now() < deadline && !errors.length) await new Promise((r) => setTimeout(r, 50));
        };
        const loopStart = performance.now();
        await waitFrames(40);
        const loopMs = performance.now() - loopStart;
        const n = stats.length;
        vr.stop();
        await new Promise((r) => setTimeout(r, 100));
        const warped = await vr.snapshot();
        // The same camera, no edits: the unwarped frame through the very same upload path.
        vr.setEdits([]);
        vr.start();
        await waitFrames(3);
        vr.stop();
        await new Promise((r) => setTimeout(r, 100));
        const plain = await vr.snapshot();
        // What the page shows: the on-page canvas, read through a 2D canvas.
        const c2 = new OffscreenCanvas(canvas.width, canvas.height);
        const g2 = c2.getContext('2d')!;
        g2.drawImage(canvas, 0, 0);
        const shown = g2.getImageData(0, 0, canvas.width, canvas.height);
        // The still-image path on the unwarped frame, same edit: what the camera output should look like.
        const still = await w.lib.FaceReshaper.create();
        const ref = (await still.reshape(plain, { shape: 'lip_size', strength: 1 })).image;
        still.close();
        const det = await w.lib.LandmarkDetector.create({ tiling: 'off' });
        const fw = await det.detect(warped);
        const fp = await det.detect(plain);
        det.close();
        const faces = vr.faces.length;
        vr.close();
        vr.close(); // idempotent
        let closedCode = '';
        try {
          vr.setEdits([]);
        } catch (e: any) {
          closedCode = e.code;
        }
        stream.getTracks().forEach((t) => t.stop());
        const pick = (s: any) => ({ detectMs: s.detectMs, trackMs: s.trackMs, fieldMs: s.fieldMs, renderMs: s.renderMs, totalMs: s.totalMs });
        const median = (k: string) => {
          const v = stats.slice(5, n).map((s) => s[k]).sort((a: number, b: number) => a - b);
          return v[v.length >> 1];
        };
        return {
          createMs,
          frames: n,
          fps: (n / loopMs) * 1000,
          reportedFps: stats[n - 1]?.fps,
          latency: median('latencyMs'),
          medians: Object.fromEntries(['detectMs', 'trackMs', 'fieldMs', 'renderMs', 'totalMs'].map((k) => [k, median(k)])),
          first: pick(stats[0] ?? {}),
          upload: stats[n - 1]?.upload,
          backend: vr.backend,
          emulated: w.internals.isEmulated((await navigator.gpu.requestAdapter())?.info),
          facesPerFrame: stats.map((s) => s.faces),
          errors,
          warped: Array.from(warped.data as Uint8ClampedArray),
          plain: Array.from(plain.data as Uint8ClampedArray),
          ref: Array.from(ref.data as Uint8ClampedArray),
          shown: Array.from(shown.data as Uint8ClampedArray),
          width: warped.width,
          height: warped.height,
          facesWarped: fw.map((f: any) => f.landmarks),
          facesPlain: fp.map((f: any) => ({ landmarks: f.landmarks, box: f.box })),
          trackedFaces: faces,
          closedCode,
        };
      },
      W,
      H,
    );
    console.log(
      `camera ${r.width}×${r.height}, backend ${r.backend}, upload ${r.upload}: ${r.frames} frames, ${r.fps.toFixed(1)} fps measured ` +
        `(${r.reportedFps?.toFixed(1)} reported), latency ${r.latency?.toFixed(1)} ms; create ${r.createMs.toFixed(0)} ms\n` +
        `  median per-stage ms: ${Object.entries(r.medians).map(([k, v]) => `${k} ${(v as number).toFixed(2)}`).join(', ')}`,
    );
    savePng(resolve(ARTIFACTS, 'video-camera-lip_size.png'), r.warped, W, H);
    savePng(resolve(ARTIFACTS, 'video-camera-plain.png'), r.plain, W, H);
    expect(r.errors).toEqual([]);
    expect(r.frames).toBeGreaterThanOrEqual(40);
    // 'auto': the CPU warp on an emulated adapter such as this SwiftShader, WebGPU on a real GPU.
    expect(r.backend).toBe(r.emulated ? 'cpu' : 'webgpu');
    expect(r.facesPerFrame.slice(2).every((n: number) => n === 1)).toBe(true);
    expect(r.width).toBe(W);
    expect(r.closedCode).toBe('CLOSED');

    // The face is where the picture changed, and nothing changed far from it.
    expect(r.facesPlain).toHaveLength(1);
    expect(r.facesWarped).toHaveLength(1);
    const lp = r.facesPlain[0].landmarks as number[][];
    const lw = r.facesWarped[0] as number[][];
    const faceW = dist(lp[234], lp[454]);
    const { inside, outside } = regionDiff(r.warped, r.plain, W, H, r.facesPlain[0] as Region, faceW);
    console.log(`pixel change vs the unwarped camera frame: mean ${inside.mean.toFixed(2)} inside the face box, max ${outside.max} farther than 0.6 face widths`);
    expect(inside.mean).toBeGreaterThan(0.5);
    expect(outside.max).toBeLessThanOrEqual(1);
    // The on-page canvas shows the last rendered frame (the unwarped one).
    const shownDiff = regionDiff(r.shown, r.plain, W, H, r.facesPlain[0] as Region, faceW);
    expect(shownDiff.inside.mean).toBeLessThan(1);

    // The live output matches the still-image reshaper's output for the same frame and edit.
    const vsStill = regionDiff(r.warped, r.ref, W, H, r.facesPlain[0] as Region, faceW);
    console.log(`camera output vs FaceReshaper.reshape() of the same frame: mean ${vsStill.inside.mean.toFixed(2)} in the face box (vs ${inside.mean.toFixed(2)} from the unwarped frame)`);
    expect(vsStill.inside.mean).toBeLessThan(0.35 * inside.mean);
    // The contract's measurement on landmarks detected again in a camera output frame: lip_size at 1
    // grows mouth width d(61,291) and height d(0,17) by 4 % or more, as on stills.
    const mw = dist(lw[61], lw[291]) / dist(lp[61], lp[291]) - 1;
    const mh = dist(lw[0], lw[17]) / dist(lp[0], lp[17]) - 1;
    console.log(`lip_size on camera frames: mouth width ${(mw * 100).toFixed(1)} %, height ${(mh * 100).toFixed(1)} % (face ${faceW.toFixed(0)} px wide)`);
    expect(mw).toBeGreaterThanOrEqual(0.04);
    expect(mh).toBeGreaterThanOrEqual(0.04);
  });

  it('worker mode on the camera: the loop feeds the detect and render workers; frames in order; close() mid-stream reports nothing', async () => {
    const r = await page().page.evaluate(
      async (W, H) => {
        const w = window as any;
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: W, height: H } });
        const video = document.createElement('video');
        video.muted = true;
        video.playsInline = true;
        video.srcObject = stream;
        await video.play();
        const canvas = document.createElement('canvas');
        document.body.append(canvas);
        const stats: any[] = [];
        const errors: string[] = [];
        const vr = await w.lib.VideoReshaper.create({
          video,
          canvas,
          worker: true,
          edits: [{ shape: 'lip_size', strength: 1 }],
          onFrame: (s: any) => stats.push(s),
          onError: (e: any) => errors.push(`${e.code}: ${e.message}`),
        });
        const deadline = performance.now() + 30_000;
        while (stats.length < 20 && performance.now() < deadline && !errors.length) await new Promise((r) => setTimeout(r, 20));
        // Closed while frames are in the workers: their calls end with CLOSED, which onError does not hear.
        vr.close();
        await new Promise((r) => setTimeout(r, 1500));
        stream.getTracks().forEach((t) => t.stop());
        return {
          mode: vr.mode,
          n: stats.length,
          frames: stats.map((s) => s.frame),
          timestamps: stats.map((s) => s.timestampMs),
          faces: stats.map((s) => s.faces),
          overlapped: stats.filter((s) => s.overlapped).length,
          dropped: stats.at(-1)?.dropped,
          fps: stats.at(-1)?.fps,
          errors,
        };
      },
      W,
      H,
    );
    console.log(`camera, worker mode: ${r.n} frames, ${r.overlapped} detected during the previous frame's warp, ${r.dropped} dropped, ${r.fps?.toFixed(1)} fps`);
    expect(r.mode).toBe('worker');
    expect(r.errors).toEqual([]);
    expect(r.n).toBeGreaterThanOrEqual(20);
    expect(r.frames).toEqual(r.frames.map((_: number, i: number) => i + 1));
    for (let i = 1; i < r.n; i++) expect(r.timestamps[i]).toBeGreaterThan(r.timestamps[i - 1]);
    expect(r.faces.slice(2).every((n: number) => n === 1)).toBe(true);
  });

  it('faces that appear and leave: no face → the frame passes through unchanged, bit for bit', async () => {
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const face = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob());
      // A face-free frame of the same size: a smooth gradient.
      const blankCanvas = new OffscreenCanvas(face.width, face.height);
      const g = blankCanvas.getContext('2d')!;
      const grad = g.createLinearGradient(0, 0, face.width, face.height);
      grad.addColorStop(0, '#204060');
      grad.addColorStop(1, '#c0a080');
      g.fillStyle = grad;
      g.fillRect(0, 0, face.width, face.height);
      const blank = blankCanvas.transferToImageBitmap();
      const blankPixels = (() => {
        const c = new OffscreenCanvas(face.width, face.height);
        const x = c.getContext('2d')!;
        x.drawImage(blank, 0, 0);
        return x.getImageData(0, 0, face.width, face.height).data;
      })();
      const canvas = document.createElement('canvas');
      document.body.append(canvas);
      const vr = await w.lib.VideoReshaper.create({ canvas, edits: { edits: [{ shape: 'slim_face', strength: 1 }, { shape: 'big_eyes', strength: 0.6 }] } });
      const seq: Array<{ faces: number; changed: number }> = [];
      let t = 0;
      const step = async (bmp: ImageBitmap, ref: Uint8ClampedArray | null) => {
        const s = await vr.renderFrame(bmp, (t += 33));
        const out = await vr.snapshot();
        let changed = 0;
        if (ref) for (let i = 0; i < ref.length; i++) if (ref[i] !== out.data[i]) changed++;
        seq.push({ faces: s.faces, changed });
        return out;
      };
      for (let i = 0; i < 3; i++) await step(blank, blankPixels);
      for (let i = 0; i < 3; i++) await step(face, null);
      for (let i = 0; i < 3; i++) await step(blank, blankPixels);
      const withFace = await step(face, null);
      vr.close();

      return { seq, width: withFace.width };
    });
    expect(r.seq.map((s) => s.faces)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 1]);
    for (const k of [0, 1, 2, 6, 7, 8]) expect(r.seq[k].changed, `frame ${k}: no face, must be bit-exact`).toBe(0);
  });

  it("the WebGPU path with the field built on the GPU or the CPU, and 'auto' (the CPU warp on this emulated adapter), give the same frames (mean ≤ 0.5, max ≤ 3 of 255)", async () => {
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const img = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob(), { resizeWidth: 320, resizeHeight: 375 });
      const edits = [{ shape: 'big_eyes', strength: 1 }, { shape: 'slim_face', strength: 1 }, { shape: 'lip_height', strength: -0.7 }];
      const variants: Record<string, object> = {
        gpuField: { backend: 'webgpu', fieldBuild: 'gpu' },
        cpuField: { backend: 'webgpu', fieldBuild: 'cpu' },
        auto: {},
      };
      const frames: Record<string, Uint8ClampedArray> = {};
      const used: Record<string, string[]> = {};
      for (const [name, options] of Object.entries(variants)) {
        const canvas = document.createElement('canvas');
        document.body.append(canvas);
        const vr = await w.lib.VideoReshaper.create({ canvas, edits, smoothing: false, ...options });
        used[name] = [];
        for (let i = 0; i < 3; i++) {
          const f = await vr.renderFrame(img, 1000 + (i * 1000) / 30);
          used[name].push(`${f.backend}/${f.field}`);
        }
        frames[name] = (await vr.snapshot()).data;
        vr.close();
        canvas.remove();
      }
      const adapter = await navigator.gpu.requestAdapter();
      const emulated = w.internals.isEmulated(adapter?.info);
      const c = new OffscreenCanvas(img.width, img.height);
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(img, 0, 0);
      const plain = ctx.getImageData(0, 0, img.width, img.height).data;
      const compare = (a: Uint8ClampedArray, b: Uint8ClampedArray) => {
        let sum = 0;
        let max = 0;
        for (let i = 0; i < a.length; i++) {
          const d = Math.abs(a[i] - b[i]);
          sum += d;
          max = Math.max(max, d);
        }
        return { mean: sum / a.length, max };
      };
      let changed = 0;
      for (let i = 0; i < plain.length; i++) if (Math.abs(frames.cpuField[i] - plain[i]) > 2) changed++;
      return { used, emulated, changed, gpuField: compare(frames.gpuField, frames.cpuField), auto: compare(frames.auto, frames.cpuField) };
    });
    console.log(`video frames vs the WebGPU path with the field built on the CPU: field on the GPU mean ${r.gpuField.mean.toFixed(4)} max ${r.gpuField.max}; 'auto' (${r.used.auto[0]}) mean ${r.auto.mean.toFixed(4)} max ${r.auto.max}; ${r.changed} values changed by the warp`);
    expect(r.used.gpuField).toEqual(['webgpu/gpu', 'webgpu/gpu', 'webgpu/gpu']);
    expect(r.used.cpuField).toEqual(['webgpu/cpu', 'webgpu/cpu', 'webgpu/cpu']);
    // SwiftShader (this test's adapter) is emulated: 'auto' takes the CPU warp there, WebGPU elsewhere.
    expect(r.used.auto[0]).toBe(r.emulated ? 'cpu/cpu' : 'webgpu/gpu');
    expect(r.changed).toBeGreaterThan(2000);
    for (const d of [r.gpuField, r.auto]) {
      expect(d.mean).toBeLessThanOrEqual(0.5);
      expect(d.max).toBeLessThanOrEqual(3);
    }
  });

  it('smoothing: with landmark noise on 60 identical frames the warped face flickers ≥ 5× less; a moved face is followed within 4 frames', async () => {
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const img = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob(), { resizeWidth: 320, resizeHeight: 375 });
      // Seeded Gaussian landmark noise, 0.6 px rms per coordinate, and an optional shift of every landmark.
      let seed = 12345;
      const u = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
      const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
      let shift = 0;
      let sigma = 0.6;
      const canvas = document.createElement('canvas');
      document.body.append(canvas);
      const vr = await w.lib.VideoReshaper.create({
        canvas,
        edits: [{ shape: 'big_eyes', strength: 1 }, { shape: 'slim_face', strength: 1 }],
        beforeSmoothing: (faces: any[]) => {
          for (const f of faces) {
            for (const p of f.landmarks) {
              p[0] += sigma * gauss() + shift;
              p[1] += sigma * gauss();
            }
            f.box[0] += shift;
            f.box[2] += shift;
          }
        },
      });
      let t = 0;
      let box: number[] = [];
      const run = async (frames: number) => {
        const diffs: number[] = [];
        let prev: Uint8ClampedArray | null = null;
        const xs: number[] = [];
        for (let i = 0; i < frames; i++) {
          await vr.renderFrame(img, (t += 1000 / 30));
          xs.push(vr.faces[0]?.landmarks[1][0] ?? NaN);
          box = vr.faces[0] ? [...vr.faces[0].box] : box;
          const out = (await vr.snapshot()).data as Uint8ClampedArray;
          if (prev) {
            // Mean absolute change over the face box.
            let s = 0, n = 0;
            for (let y = Math.floor(box[1]); y < Math.ceil(box[3]); y++) {
              for (let x = Math.floor(box[0]); x < Math.ceil(box[2]); x++) {
                const k = (y * 320 + x) * 4;
                s += Math.abs(out[k] - prev[k]) + Math.abs(out[k + 1] - prev[k + 1]) + Math.abs(out[k + 2] - prev[k + 2]);
                n += 3;
              }
            }
            diffs.push(s / n);
          }
          prev = out.slice();
        }
        return { diffs, xs };
      };
      vr.setSmoothing(false);
      const raw = await run(30);
      vr.setSmoothing(true);
      const smooth = await run(60);
      // Step response: every landmark jumps 12 px right (no noise), smoothing on.
      sigma = 0;
      await run(10);
      const before = vr.faces[0].landmarks[1][0];
      shift = 12;
      const step = await run(8);
      vr.close();
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      return {
        raw: mean(raw.diffs.slice(1)),
        smooth: mean(smooth.diffs.slice(15)),
        stepErr: step.xs.map((x) => before + 12 - x),
      };
    });
    console.log(
      `frame-to-frame change on the face (mean abs, of 255) with 0.6 px landmark noise: ${r.raw.toFixed(3)} unsmoothed, ${r.smooth.toFixed(3)} smoothed ` +
        `(${(r.raw / r.smooth).toFixed(1)}× less)\nstep of 12 px, remaining error per frame: ${r.stepErr.map((e: number) => e.toFixed(2)).join(' ')}`,
    );
    expect(r.raw / r.smooth).toBeGreaterThanOrEqual(5);
    expect(Math.abs(r.stepErr[3])).toBeLessThan(1);
  });
});

function dist(a: number[], b: number[]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Mean abs difference inside the face box, and max difference at pixels farther than 0.6 face widths from the box. */
function regionDiff(a: number[], b: number[], w: number, h: number, face: Region, faceW: number) {
  const [x0, y0, x1, y1] = face.box;
  let sIn = 0, nIn = 0, maxOut = 0;
  const m = 0.6 * faceW;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = (y * w + x) * 4;
      const d = Math.max(Math.abs(a[k] - b[k]), Math.abs(a[k + 1] - b[k + 1]), Math.abs(a[k + 2] - b[k + 2]));
      if (x >= x0 && x < x1 && y >= y0 && y < y1) {
        sIn += d;
        nIn++;
      } else {
        const dx = Math.max(x0 - x, 0, x - x1);
        const dy = Math.max(y0 - y, 0, y - y1);
        if (Math.hypot(dx, dy) > m) maxOut = Math.max(maxOut, d);
      }
    }
  }
  return { inside: { mean: sIn / Math.max(1, nIn) }, outside: { max: maxOut } };
}

function savePng(file: string, rgba: number[], w: number, h: number): void {
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(Uint8Array.from(rgba));
  writeFileSync(file, PNG.sync.write(png));
}
