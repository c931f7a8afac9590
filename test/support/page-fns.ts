/**
 * Functions that run inside the harness page (serialised by puppeteer, so each is self-contained).
 * They keep one reshaper per backend and one plain detector on `window` across calls.
 */

export interface PageFace {
  landmarks: [number, number, number][];
  box: [number, number, number, number];
  pose: { yaw: number; pitch: number; roll: number };
  confidence: number;
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
): Promise<{ width: number; height: number; faces: number; mean: number; max: number; changed: number; gpuField: { mean: number; max: number } }> {
  const w = window as any;
  w.parity ??= {
    // 'auto' builds the field in JavaScript on SwiftShader; 'gpu' computes it in compute passes.
    gpu: await w.lib.FaceReshaper.create({ backend: 'webgpu', tiling: 'off' }),
    gpuField: await w.lib.FaceReshaper.create({ backend: 'webgpu', tiling: 'off', fieldBuild: 'gpu' }),
    cpu: await w.lib.FaceReshaper.create({ backend: 'cpu', tiling: 'off' }),
  };
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const g = await w.parity.gpu.reshape(bmp, { edits });
  const gf = await w.parity.gpuField.reshape(bmp, { edits, faces: g.faces });
  const c = await w.parity.cpu.reshape(bmp, { edits, faces: g.faces });
  const b: Uint8ClampedArray = c.image.data;
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const input = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  const compare = (a: Uint8ClampedArray) => {
    let sum = 0;
    let max = 0;
    let changed = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      sum += d;
      if (d > max) max = d;
      if (a[i] !== input[i]) changed++;
    }
    return { mean: sum / a.length, max, changed };
  };
  const gpuField = compare(gf.image.data);
  const out = { width: bmp.width, height: bmp.height, faces: g.faces.length, ...compare(g.image.data), gpuField: { mean: gpuField.mean, max: gpuField.max } };
  bmp.close();
  return out;
}

/**
 * Decodes an image as the library does (EXIF applied, no colour conversion), detects its faces
 * with the plain detector and keeps both in the page for `reshapeCpuAndRedetect`. Returns the
 * RGBA (base64) so that Node can warp and measure the same pixels.
 */
export async function decodeAndDetect(url: string): Promise<{ width: number; height: number; rgba: string; faces: PageFace[] }> {
  const w = window as any;
  w.plainDetector ??= await w.lib.LandmarkDetector.create({ tiling: 'off' });
  w.decoded ??= {};
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const faces: PageFace[] = await w.plainDetector.detect(img);
  w.decoded[url] = { image: img, faces };
  const d = img.data;
  let s = '';
  for (let i = 0; i < d.length; i += 32768) s += String.fromCharCode(...d.subarray(i, i + 32768));
  return { width: img.width, height: img.height, rgba: btoa(s), faces };
}

/**
 * Re-detects the faces on outputs of the image decoded by `decodeAndDetect`: each job is one
 * reshape of that image (the library's CPU reference backend, with the faces found there) with
 * the given edits, then the plain detector on the result. The same pixels Node warps and measures.
 */
export async function reshapeCpuAndRedetect(url: string, jobs: Array<Array<{ shape: string; strength: number }>>): Promise<PageFace[][]> {
  const w = window as any;
  w.cpuReshaper ??= await w.lib.FaceReshaper.create({ backend: 'cpu', tiling: 'off' });
  const { image, faces } = w.decoded[url] as { image: ImageData; faces: PageFace[] };
  const out: PageFace[][] = [];
  for (const edits of jobs) out.push(await w.plainDetector.detect((await w.cpuReshaper.reshape(image, { edits, faces })).image));
  return out;
}

/**
 * A zoomed sheet of one face through the WebGPU reshaper: the face's crop (forehead to collar)
 * before any edit, then after each shape at `strength`, `cols` tiles a row, each `tileW` px wide
 * and labelled. `pick` chooses the face (largest, or the left/right-most). Returns the PNG
 * (base64) and, per shape, the mean change inside the face's box (0–255).
 */
export async function faceSheet(
  url: string,
  pick: 'largest' | 'left' | 'right',
  strength: number,
  layout: { cols: number; tileW: number; title: string },
): Promise<{ png: string; changes: number[] }> {
  const w = window as any;
  w.faceSheetReshaper ??= await w.lib.FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
  const rs = w.faceSheetReshaper;
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image' });
  const first = await rs.reshape(bmp, { edits: [] });
  const faces: PageFace[] = first.faces;
  const width = (f: PageFace) => Math.hypot(f.landmarks[234][0] - f.landmarks[454][0], f.landmarks[234][1] - f.landmarks[454][1]);
  let face = faces[0];
  for (const f of faces) if (pick === 'largest' ? width(f) > width(face) : pick === 'left' ? f.box[0] < face.box[0] : f.box[0] > face.box[0]) face = f;
  const fw = width(face);
  const x0 = Math.max(0, Math.floor(face.box[0] - 0.22 * fw));
  const y0 = Math.max(0, Math.floor(face.box[1] - 0.12 * fw));
  const cw = Math.min(bmp.width, Math.ceil(face.box[2] + 0.22 * fw)) - x0;
  const ch = Math.min(bmp.height, Math.ceil(face.box[3] + 0.3 * fw)) - y0;
  const tw = layout.tileW;
  const th = Math.round((tw * ch) / cw);
  const names: string[] = w.lib.SHAPE_NAMES;
  const cellH = th + 18;
  const rows = Math.ceil((names.length + 1) / layout.cols);
  const sheet = new OffscreenCanvas(layout.cols * (tw + 4), 24 + rows * cellH);
  const ctx = sheet.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, sheet.width, sheet.height);
  ctx.imageSmoothingQuality = 'high';
  ctx.fillStyle = '#000';
  ctx.font = 'bold 15px sans-serif';
  ctx.fillText(layout.title, 4, 17);
  ctx.font = '12px sans-serif';
  const before = first.image as ImageData;
  const draw = async (img: ImageData, k: number, label: string) => {
    const b = await createImageBitmap(img);
    const cx = (k % layout.cols) * (tw + 4);
    const cy = 24 + Math.floor(k / layout.cols) * cellH;
    ctx.drawImage(b, x0, y0, cw, ch, cx, cy + 16, tw, th);
    ctx.fillStyle = '#000';
    ctx.fillText(label, cx + 2, cy + 12);
    b.close();
  };
  await draw(before, 0, 'before');
  const changes: number[] = [];
  for (let k = 0; k < names.length; k++) {
    const after = (await rs.reshape(bmp, { edits: [{ shape: names[k], strength }], faces })).image as ImageData;
    let sum = 0;
    let n = 0;
    for (let y = Math.max(0, Math.floor(face.box[1])); y < Math.min(after.height, face.box[3]); y++) {
      for (let x = Math.max(0, Math.floor(face.box[0])); x < Math.min(after.width, face.box[2]); x++) {
        const i = (y * after.width + x) * 4;
        sum += Math.abs(after.data[i] - before.data[i]) + Math.abs(after.data[i + 1] - before.data[i + 1]) + Math.abs(after.data[i + 2] - before.data[i + 2]);
        n += 3;
      }
    }
    changes.push(sum / n);
    await draw(after, k + 1, `${k} ${names[k]}`);
  }
  bmp.close();
  const blob = await sheet.convertToBlob({ type: 'image/png' });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 32768) s += String.fromCharCode(...bytes.subarray(i, i + 32768));
  return { png: btoa(s), changes };
}

/**
 * The smallest Jacobian determinant of the field a reshape applies, both ways the WebGPU backend
 * makes it: built on the CPU (the guard already applied to its values), and built on the GPU
 * (read back, scaled by the guard factor the warp applies). Per URL and edit set: [cpu, gpu, …].
 */
export async function appliedFieldDets(
  urls: string[],
  editSets: Array<Array<{ shape: string; strength: number }>>,
): Promise<Array<{ url: string; faces: number; dets: number[] }>> {
  const w = window as any;
  const I = w.internals;
  w.detDetector ??= await I.LandmarkDetector.create({ tiling: 'off', maxFaces: 4 });
  const { device } = await I.requestGpuDevice({ label: 'applied-field test' });
  const builder = new I.GpuFieldBuilder(device);
  const out: Array<{ url: string; faces: number; dets: number[] }> = [];
  for (const url of urls) {
    const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image' });
    const faces = await w.detDetector.detect(bmp);
    const dets: number[] = [];
    for (const edits of editSets) {
      if (!faces.length) break;
      const items = faces.map((face: any) => ({ face, edits }));
      dets.push(I.minJacobianDet(I.buildField(bmp.width, bmp.height, items)));
      const plan = I.planField(bmp.width, bmp.height, items);
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const field = device.createBuffer({ size: I.GpuFieldBuilder.fieldBytes(plan), usage });
      const alpha = device.createBuffer({ size: I.GpuFieldBuilder.alphaBytes(plan), usage });
      const readF = device.createBuffer({ size: field.size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      const readA = device.createBuffer({ size: alpha.size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      const encoder = device.createCommandEncoder();
      builder.encode(encoder, plan, { field, alpha });
      encoder.copyBufferToBuffer(field, 0, readF, 0, field.size);
      encoder.copyBufferToBuffer(alpha, 0, readA, 0, alpha.size);
      device.queue.submit([encoder.finish()]);
      await Promise.all([readF.mapAsync(GPUMapMode.READ), readA.mapAsync(GPUMapMode.READ)]);
      const data = new Float32Array(readF.getMappedRange().slice(0));
      const a = new Float32Array(readA.getMappedRange().slice(0));
      plan.regions.forEach((r: any, k: number) => {
        // The factor as the warp applies it (guard_factor in shaders/warp-common.wgsl).
        const s = a[k] >= 1 ? 1 : a[k] * 0.999;
        for (let q = r.offset * 2; q < (r.offset + r.cols * r.rows) * 2; q++) data[q] *= s;
      });
      dets.push(I.minJacobianDet({ width: bmp.width, height: bmp.height, regions: plan.regions, data }));
      for (const b of [field, alpha, readF, readA]) b.destroy();
    }
    out.push({ url, faces: faces.length, dets });
    bmp.close();
  }
  builder.destroy();
  device.destroy();
  return out;
}
