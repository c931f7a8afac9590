/**
 * Functions that run inside the harness page (serialised by puppeteer, so each is self-contained).
 * They keep one reshaper per backend and one plain detector on `window` across calls.
 */

export interface PageFace {
  landmarks: [number, number, number][];
  box: [number, number, number, number];
  pose: { yaw: number; pitch: number; roll: number };
}

/** Reshapes an image for every request and re-detects landmarks on each output. */
export async function reshapeAndRedetect(
  url: string,
  requests: Array<{ edits: Array<{ shape: string; strength: number }> }>,
  backend: 'webgpu' | 'cpu',
): Promise<{ width: number; height: number; before: PageFace[]; after: PageFace[][] }> {
  const w = window as any;
  w.reshapers ??= {};
  w.reshapers[backend] ??= await w.lib.FaceReshaper.create({ backend, tiling: 'off' });
  w.plainDetector ??= await w.lib.LandmarkDetector.create({ tiling: 'off' });
  const rs = w.reshapers[backend];
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const before = await w.plainDetector.detect(bmp);
  const after: PageFace[][] = [];
  for (const req of requests) {
    const res = await rs.reshape(bmp, { edits: req.edits, faces: before });
    after.push(await w.plainDetector.detect(res.image));
  }
  const out = { width: bmp.width, height: bmp.height, before, after };
  bmp.close();
  return out;
}
