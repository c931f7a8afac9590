import { describe, expect, it } from 'vitest';
import { useBrowser, usePage } from '../support/browser';
import { chromiumProcess } from '../support/processes';

/**
 * What a GPU reset or a GPU-process crash does to a page: MediaPipe's WebGL context is lost (it
 * then answers "no faces" without throwing) and the WebGPU device is lost. The library must find
 * the face again, or fail with a typed error: never `faces: []` for a face.
 */
describe('recovery from a lost WebGL context and a lost GPU device', () => {
  const page = usePage();

  it('reshape() after the detector’s WebGL context is lost, the device destroyed, or both: the face is found again', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const rs = await FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
      // The landmarker's own canvas holds a WebGL2 context (image conversion, even on the CPU delegate).
      const glOf = () => (rs as any).detector.main.watch.gl as WebGL2RenderingContext;
      // A context that is lost already has no extensions left to lose it with.
      const loseGl = () => glOf().getExtension('WEBGL_lose_context')?.loseContext();
      const run = () =>
        rs.reshape(blob, { shape: 'slim_face', strength: 1 }).then(
          (x: any) => `faces:${x.faces.length}`,
          (e: any) => `${e.name}:${e.code}`,
        );
      const out: Record<string, string> = { before: await run(), hasGl: String(glOf() !== null) };
      loseGl();
      out.afterGlLost = await run();
      (rs as any).gpu.device.destroy();
      out.afterDeviceLost = await run();
      loseGl();
      (rs as any).gpu.device.destroy();
      out.afterBoth = await run();
      out.detectAfterGlLost = await (async () => {
        loseGl();
        return rs.detect(blob).then((f: any[]) => `faces:${f.length}`, (e: any) => `${e.name}:${e.code}`);
      })();
      rs.close();
      return out;
    });
    expect(r).toEqual({
      before: 'faces:1',
      hasGl: 'true',
      afterGlLost: 'faces:1',
      afterDeviceLost: 'faces:1',
      afterBoth: 'faces:1',
      detectAfterGlLost: 'faces:1',
    });
  });

  it('a detector that cannot be rebuilt (no WebGL) fails with DETECTOR_LOST, and works again once it can be', async () => {
    const r = await page().page.evaluate(async () => {
      const { LandmarkDetector } = (window as any).lib;
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const bmp = await createImageBitmap(blob);
      const det = await LandmarkDetector.create({ tiling: 'off' });
      const run = () => det.detect(bmp).then((f: any[]) => `faces:${f.length}`, (e: any) => `${e.name}:${e.code}`);
      const before = await run();
      // The GPU process is gone for good: no new WebGL context can be made.
      const getContext = OffscreenCanvas.prototype.getContext;
      (OffscreenCanvas.prototype as any).getContext = function (this: OffscreenCanvas, type: string, ...rest: unknown[]) {
        return type === 'webgl2' || type === 'webgl' ? null : (getContext as any).call(this, type, ...rest);
      };
      let during: string[];
      try {
        (det as any).main.watch.gl.getExtension('WEBGL_lose_context').loseContext();
        during = [await run(), await run()];
      } finally {
        OffscreenCanvas.prototype.getContext = getContext;
      }
      const after = await run();
      det.close();
      return { before, during, after };
    });
    expect(r).toEqual({ before: 'faces:1', during: ['FaceReshapeError:DETECTOR_LOST', 'FaceReshapeError:DETECTOR_LOST'], after: 'faces:1' });
  });

  it('VideoReshaper: a frame after the detector’s WebGL context is lost still finds the face', async () => {
    const r = await page().page.evaluate(async () => {
      const { VideoReshaper } = (window as any).lib;
      const bmp = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob());
      const canvas = document.createElement('canvas');
      const vr = await VideoReshaper.create({ canvas, edits: [{ shape: 'slim_face', strength: 1 }] });
      const frames: number[] = [];
      for (let i = 0; i < 2; i++) frames.push((await vr.renderFrame(bmp, 33 * i)).faces);
      (vr as any).frames.detectStage.detector.main.watch.gl.getExtension('WEBGL_lose_context').loseContext();
      for (let i = 2; i < 4; i++) frames.push((await vr.renderFrame(bmp, 33 * i)).faces);
      vr.close();
      return frames;
    });
    expect(r).toEqual([1, 1, 1, 1]);
  });
});

describe('recovery from a GPU-process crash (kill -9 of Chromium’s GPU process)', () => {
  const runtime = useBrowser();

  it('the next reshape() finds the face again or throws a typed error, never faces: []', async () => {
    const rt = runtime();
    const { page } = await rt.newPage();
    // As the drop-in server's pages do: a reshaper with the default options, photos as encoded bytes.
    const run = () =>
      page.evaluate(async () => {
        const w = window as any;
        w.rs ??= await w.lib.FaceReshaper.create();
        const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
        return w.rs.reshape(blob, { shape: 'slim_face', strength: 1 }).then(
          (x: any) => `faces:${x.faces.length}`,
          (e: any) => `${e.name}:${e.code}`,
        );
      });
    expect(await run()).toBe('faces:1');
    const gpu = chromiumProcess(rt.browser.process()!.pid!, 'gpu-process');
    process.kill(gpu, 'SIGKILL');
    // Chromium starts a new GPU process and tells each context it was lost, a moment later.
    await new Promise((r) => setTimeout(r, 3000));
    const after: string[] = [];
    for (let i = 0; i < 4; i++) after.push(await run());
    console.log(`after kill -9 of the GPU process ${gpu}: ${after.join(', ')}`);
    for (const r of after) expect(r === 'faces:1' || /^FaceReshapeError:(DETECTOR_LOST|DEVICE_LOST)$/.test(r), r).toBe(true);
    expect(after.at(-1), 'recovered by the fourth call').toBe('faces:1');
  });
});

