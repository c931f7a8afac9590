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

export interface RawReshape {
  width: number;
  height: number;
  faces: PageFace[];
  /** RGBA of the decoded input and of each output, base64. */
  input: string;
  outputs: string[];
}

/** Reshapes one image with several edit sets (each one call), returning raw RGBA for pixel checks. */
export async function reshapeRaw(
  url: string,
  editSets: Array<Array<{ shape: string; strength: number }>>,
  backend: 'webgpu' | 'cpu',
  options: { maxFaces?: number; chain?: boolean } = {},
): Promise<RawReshape> {
  const w = window as any;
  const key = `${backend}-${options.maxFaces ?? 4}`;
  w.rawReshapers ??= {};
  w.rawReshapers[key] ??= await w.lib.FaceReshaper.create({ backend, tiling: 'off', maxFaces: options.maxFaces ?? 4 });
  const rs = w.rawReshapers[key];
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const b64 = (d: Uint8ClampedArray) => {
    let s = '';
    for (let i = 0; i < d.length; i += 32768) s += String.fromCharCode(...d.subarray(i, i + 32768));
    return btoa(s);
  };
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const input = ctx.getImageData(0, 0, bmp.width, bmp.height);
  const faces = (await rs.reshape(bmp, { edits: [] })).faces;
  const outputs: string[] = [];
  for (const edits of editSets) {
    if (options.chain) {
      // Each edit as its own resample of the previous output (what the library must NOT do).
      let img: ImageData = input;
      for (const e of edits) img = (await rs.reshape(img, { edits: [e], faces })).image;
      outputs.push(b64(img.data));
    } else {
      outputs.push(b64((await rs.reshape(bmp, { edits, faces })).image.data));
    }
  }
  const out = { width: bmp.width, height: bmp.height, faces, input: b64(input.data), outputs };
  bmp.close();
  return out;
}

/** Runs the same edits through the WebGPU and the CPU reshaper and compares the outputs in the page. */
export async function gpuCpuParity(
  url: string,
  edits: Array<{ shape: string; strength: number }>,
): Promise<{ width: number; height: number; faces: number; mean: number; max: number; changed: number }> {
  const w = window as any;
  w.parity ??= {
    gpu: await w.lib.FaceReshaper.create({ backend: 'webgpu', tiling: 'off' }),
    cpu: await w.lib.FaceReshaper.create({ backend: 'cpu', tiling: 'off' }),
  };
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const g = await w.parity.gpu.reshape(bmp, { edits });
  const c = await w.parity.cpu.reshape(bmp, { edits, faces: g.faces });
  const a: Uint8ClampedArray = g.image.data;
  const b: Uint8ClampedArray = c.image.data;
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const input = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  let sum = 0;
  let max = 0;
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
    if (a[i] !== input[i]) changed++;
  }
  const out = { width: bmp.width, height: bmp.height, faces: g.faces.length, mean: sum / a.length, max, changed };
  bmp.close();
  return out;
}
