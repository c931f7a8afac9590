/**
 * Runs inside the harness page (serialised by puppeteer: self-contained). Builds the benchmark
 * photo, then measures every figure side by side, interleaved, in one run.
 */
export interface BenchFigures {
  device: string;
  image: string;
  face_width_px: number;
  field_region_px: number;
  runs: number;
  gpu_copy_1080p_ms: number;
  gpu_warp_1080p_ms: number;
  cpu_warp_1080p_ms: number;
  field_build_ms: number;
  detect_ms: number;
  reshape_e2e_webgpu_ms: number;
  ratio_gpu_warp_to_copy: number;
}

export async function runBenchInPage(sourceUrl: string, runs: number): Promise<BenchFigures> {
  const w = window as any;
  const I = w.internals;
  const median = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };

  // --- The benchmark photo: 1920×1080, one face about 600 px wide, centred. ---
  const detector = await I.LandmarkDetector.create({ tiling: 'off', delegate: 'CPU', maxFaces: 1 });
  const src = await createImageBitmap(await (await fetch(sourceUrl)).blob());
  const f0 = (await detector.detect(src))[0];
  if (!f0) throw new Error(`no face in ${sourceUrl}`);
  const fw0 = Math.hypot(f0.landmarks[234][0] - f0.landmarks[454][0], f0.landmarks[234][1] - f0.landmarks[454][1]);
  const k = 600 / fw0;
  const cx = (f0.box[0] + f0.box[2]) / 2;
  const cy = (f0.box[1] + f0.box[3]) / 2;
  const canvas = new OffscreenCanvas(1920, 1080);
  const ctx = canvas.getContext('2d')!;
  // Background: the same photo, blurred and stretched over the frame, so the warp sees real texture everywhere.
  ctx.filter = 'blur(12px)';
  ctx.drawImage(src, 0, 0, 1920, 1080);
  ctx.filter = 'none';
  ctx.drawImage(src, 960 - cx * k, 540 - cy * k, src.width * k, src.height * k);
  const photo = canvas.transferToImageBitmap();
  const faces = await detector.detect(photo);
  if (faces.length !== 1) throw new Error(`benchmark photo: expected 1 face, found ${faces.length}`);
  const face = faces[0];
  const faceWidth = Math.hypot(face.landmarks[234][0] - face.landmarks[454][0], face.landmarks[234][1] - face.landmarks[454][1]);
  const edits = I.SHAPE_NAMES.map((shape: string) => ({ shape, strength: 1 }));

  // --- GPU objects, created once (as the library does). ---
  const { device, adapter } = await I.requestGpuDevice({ label: 'bench device' });
  const uploader = new I.TextureUploader(device);
  const warper = new I.GpuWarper(device);
  const yardstick = new I.CopyYardstick(device);
  const srcTex = uploader.upload(photo);
  const cvs = new OffscreenCanvas(1920, 1080);
  const cctx = cvs.getContext('2d', { willReadFrequently: true })!;
  cctx.drawImage(photo, 0, 0);
  const pixels = cctx.getImageData(0, 0, 1920, 1080);
  const field0 = I.buildField(1920, 1080, [{ face, edits }]);
  const regionPx = field0.regions.reduce((s: number, r: any) => s + (r.px1 - r.px0) * (r.py1 - r.py0), 0);
  const reshaper = await w.lib.FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });

  const t = { copy: [] as number[], warp: [] as number[], cpu: [] as number[], field: [] as number[], detect: [] as number[], e2e: [] as number[] };
  const time = async (fn: () => unknown | Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  for (let i = -2; i < runs; i++) {
    const copy = await time(async () => {
      yardstick.run(srcTex);
      await device.queue.onSubmittedWorkDone();
    });
    const warp = await time(async () => {
      const field = I.buildField(1920, 1080, [{ face, edits }]);
      warper.warp(srcTex, field);
      await device.queue.onSubmittedWorkDone();
    });
    const field = await time(() => I.buildField(1920, 1080, [{ face, edits }]));
    const cpu = await time(() => I.warpCpu(pixels, field0));
    const det = await time(() => detector.detect(photo));
    const e2e = await time(() => reshaper.reshape(photo, { edits, faces: [face], output: 'imageBitmap' }).then((r: any) => r.image.close()));
    if (i < 0) continue; // warm-up
    t.copy.push(copy);
    t.warp.push(warp);
    t.field.push(field);
    t.cpu.push(cpu);
    t.detect.push(det);
    t.e2e.push(e2e);
  }
  const info = adapter.info ?? {};
  const out: BenchFigures = {
    device: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter',
    image: `1920x1080 from ${sourceUrl.split('/').pop()}`,
    face_width_px: Math.round(faceWidth),
    field_region_px: regionPx,
    runs,
    gpu_copy_1080p_ms: median(t.copy),
    gpu_warp_1080p_ms: median(t.warp),
    cpu_warp_1080p_ms: median(t.cpu),
    field_build_ms: median(t.field),
    detect_ms: median(t.detect),
    reshape_e2e_webgpu_ms: median(t.e2e),
    ratio_gpu_warp_to_copy: median(t.warp) / median(t.copy),
  };
  reshaper.close();
  yardstick.destroy();
  warper.destroy();
  uploader.destroy();
  detector.close();
  device.destroy();
  return out;
}
