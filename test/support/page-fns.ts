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
 * A contact sheet of every shape at one strength: for each, the face crop before and after,
 * labelled. Returns the PNG (base64) and, per shape, the mean change inside the face box.
 */
export async function contactSheet(url: string, strength: number, backend: 'webgpu' | 'cpu'): Promise<{ png: string; changes: number[] }> {
  const w = window as any;
  w.sheetReshaper ??= await w.lib.FaceReshaper.create({ backend, tiling: 'off', maxFaces: 1 });
  const rs = w.sheetReshaper;
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image' });
  const names: string[] = w.lib.SHAPE_NAMES;
  const first = await rs.reshape(bmp, { edits: [] });
  const face = first.faces[0];
  const fw = Math.hypot(face.landmarks[234][0] - face.landmarks[454][0], face.landmarks[234][1] - face.landmarks[454][1]);
  const pad = 0.3 * fw;
  const x0 = Math.max(0, Math.floor(face.box[0] - pad));
  const y0 = Math.max(0, Math.floor(face.box[1] - pad));
  const cw = Math.min(bmp.width, Math.ceil(face.box[2] + pad)) - x0;
  const ch = Math.min(bmp.height, Math.ceil(face.box[3] + pad)) - y0;
  const zoom = Math.min(3, 220 / cw);
  const tw = Math.round(cw * zoom);
  const th = Math.round(ch * zoom);
  const cols = 4;
  const cellW = tw * 2 + 12;
  const cellH = th + 22;
  const rows = Math.ceil((names.length + 1) / cols);
  const sheet = new OffscreenCanvas(cols * cellW, rows * cellH);
  const ctx = sheet.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, sheet.width, sheet.height);
  ctx.imageSmoothingQuality = 'high';
  ctx.font = '13px sans-serif';
  const before = first.image as ImageData;
  const beforeBmp = await createImageBitmap(before);
  const changes: number[] = [];
  const jobs = [...names.map((n) => ({ label: `${names.indexOf(n)} ${n}`, edits: [{ shape: n, strength }] })), { label: 'all 22', edits: names.map((n) => ({ shape: n, strength })) }];
  for (let k = 0; k < jobs.length; k++) {
    const res = await rs.reshape(bmp, { edits: jobs[k].edits, faces: [face] });
    const after = res.image as ImageData;
    let sum = 0;
    let n = 0;
    for (let y = Math.floor(face.box[1]); y < face.box[3]; y++) {
      for (let x = Math.floor(face.box[0]); x < face.box[2]; x++) {
        const i = (y * after.width + x) * 4;
        sum += Math.abs(after.data[i] - before.data[i]) + Math.abs(after.data[i + 1] - before.data[i + 1]) + Math.abs(after.data[i + 2] - before.data[i + 2]);
        n += 3;
      }
    }
    changes.push(sum / n);
    const afterBmp = await createImageBitmap(after);
    const cx = (k % cols) * cellW;
    const cy = Math.floor(k / cols) * cellH;
    ctx.drawImage(beforeBmp, x0, y0, cw, ch, cx, cy + 18, tw, th);
    ctx.drawImage(afterBmp, x0, y0, cw, ch, cx + tw + 4, cy + 18, tw, th);
    ctx.fillStyle = '#000';
    ctx.fillText(`${jobs[k].label} @ ${strength}: before | after`, cx + 2, cy + 13);
    afterBmp.close();
  }
  beforeBmp.close();
  bmp.close();
  const blob = await sheet.convertToBlob({ type: 'image/png' });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 32768) s += String.fromCharCode(...bytes.subarray(i, i + 32768));
  return { png: btoa(s), changes };
}
