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
  /** Where gpu_warp_1080p_ms computed the field ('gpu' or 'cpu': the library's 'auto' choice for this adapter). */
  gpu_field_build: string;
  /** The same warp with the field computed on the GPU (plan on the CPU, three compute passes). */
  gpu_warp_gpu_field_1080p_ms: number;
  /** The same warp with the field built on the CPU (buildField) and uploaded. */
  gpu_warp_cpu_field_1080p_ms: number;
  /** The CPU part of gpu_warp_1080p_ms: planning the field (regions, primitives) from the landmarks. */
  field_plan_ms: number;
  /** Which form of the warp ran ('cells': compute, 'spans': render; see src/warp/gpu.ts). */
  gpu_warp_form: string;
  cpu_warp_1080p_ms: number;
  field_build_ms: number;
  detect_ms: number;
  /** detect() with 'auto' tiling (tile pass and second looks) on a group photo with small faces. */
  detect_tiled_ms: number;
  detect_tiled_image: string;
  /** reshape() of the 1080p photo as JPEG bytes to a JPEG Blob, detection included (the user's path). */
  reshape_e2e_webgpu_ms: number;
  /** Medians of the same call's stages with `timings: true` (each GPU stage waited for): they sum to about the e2e time. */
  e2e_decode_ms: number;
  e2e_detect_ms: number;
  e2e_field_ms: number;
  e2e_upload_ms: number;
  e2e_warp_ms: number;
  e2e_readback_ms: number;
  e2e_encode_ms: number;
  /** Sum of the stage medians, and reshape_e2e_webgpu_ms / (decode + detect + encode): what the call adds to the inherent work (goal ≤ 1.25). */
  e2e_stages_sum_ms: number;
  ratio_e2e_to_inherent: number;
  ratio_gpu_warp_to_copy: number;
  /** GPU time (timestamp queries, where the device has 'timestamp-query'; else absent) of the copy and of the warp (both fields), in ms. */
  gpu_copy_1080p_timestamp_ms?: number;
  gpu_warp_1080p_timestamp_ms?: number;
  gpu_warp_gpu_field_1080p_timestamp_ms?: number;
  gpu_warp_cpu_field_1080p_timestamp_ms?: number;
}

export async function runBenchInPage(sourceUrl: string, runs: number, groupUrl: string): Promise<BenchFigures> {
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
  // The photo as a user hands it over: JPEG bytes.
  const jpegCanvas = new OffscreenCanvas(1920, 1080);
  jpegCanvas.getContext('2d')!.drawImage(photo, 0, 0);
  const jpeg = await jpegCanvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  const faces = await detector.detect(photo);
  if (faces.length !== 1) throw new Error(`benchmark photo: expected 1 face, found ${faces.length}`);
  const face = faces[0];
  const faceWidth = Math.hypot(face.landmarks[234][0] - face.landmarks[454][0], face.landmarks[234][1] - face.landmarks[454][1]);
  const edits = I.SHAPE_NAMES.map((shape: string) => ({ shape, strength: 1 }));

  // --- GPU objects, created once (as the library does). ---
  const { device, adapter } = await I.requestGpuDevice({ label: 'bench device', optionalFeatures: ['timestamp-query'] });
  const timer = I.GpuTimer.supported(device) ? new I.GpuTimer(device) : null;
  const gpuT = { copy: [] as number[], warp: [] as number[], gpuField: [] as number[], cpuField: [] as number[] };
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
  const tiledDetector = await I.LandmarkDetector.create({ tiling: 'auto', delegate: 'CPU', maxFaces: 20 });
  const group = await createImageBitmap(await (await fetch(groupUrl)).blob());

  const t = { copy: [] as number[], warp: [] as number[], gpuField: [] as number[], cpuField: [] as number[], plan: [] as number[], cpu: [] as number[], field: [] as number[], detect: [] as number[], detectTiled: [] as number[], e2e: [] as number[] };
  const stages = ['decode', 'detect', 'field', 'upload', 'warp', 'readback', 'encode'] as const;
  const e2eStages: Record<string, number[]> = Object.fromEntries(stages.map((k) => [k, []]));
  const time = async (fn: () => unknown | Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  // The library's GPU path: the field where 'auto' puts it on this adapter, then the warp.
  const onGpu: boolean = I.fieldOnGpu(device);
  for (let i = -2; i < runs; i++) {
    const copy = await time(async () => {
      yardstick.run(srcTex, timer?.next());
      await device.queue.onSubmittedWorkDone();
    });
    const warp = await time(async () => {
      warper.warp(srcTex, onGpu ? I.planField(1920, 1080, [{ face, edits }]) : I.buildField(1920, 1080, [{ face, edits }]), undefined, timer?.next());
      await device.queue.onSubmittedWorkDone();
    });
    const gpuField = await time(async () => {
      warper.warp(srcTex, I.planField(1920, 1080, [{ face, edits }]), undefined, timer?.next());
      await device.queue.onSubmittedWorkDone();
    });
    const cpuField = await time(async () => {
      warper.warp(srcTex, I.buildField(1920, 1080, [{ face, edits }]), undefined, timer?.next());
      await device.queue.onSubmittedWorkDone();
    });
    const plan = await time(() => I.planField(1920, 1080, [{ face, edits }]));
    const field = await time(() => I.buildField(1920, 1080, [{ face, edits }]));
    const cpu = await time(() => I.warpCpu(pixels, field0));
    const det = await time(() => detector.detect(photo));
    const detTiled = await time(() => tiledDetector.detect(group));
    const e2e = await time(() => reshaper.reshape(jpeg, { edits, output: 'blob' }));
    const timed = (await reshaper.reshape(jpeg, { edits, output: 'blob', timings: true })).timings;
    // Outside the timed spans: resolve this run's four timestamp pairs.
    const stamps = timer ? await timer.read() : [];
    if (i < 0) continue; // warm-up
    if (stamps.length === 4) {
      gpuT.copy.push(stamps[0]);
      gpuT.warp.push(stamps[1]);
      gpuT.gpuField.push(stamps[2]);
      gpuT.cpuField.push(stamps[3]);
    }
    t.copy.push(copy);
    t.warp.push(warp);
    t.gpuField.push(gpuField);
    t.cpuField.push(cpuField);
    t.plan.push(plan);
    t.field.push(field);
    t.cpu.push(cpu);
    t.detect.push(det);
    t.detectTiled.push(detTiled);
    t.e2e.push(e2e);
    // A library without `timings` (an older build, for a before/after run) gives NaN stages.
    for (const k of stages) e2eStages[k].push(timed?.[k] ?? NaN);
  }
  const st = Object.fromEntries(stages.map((k) => [k, median(e2eStages[k])])) as Record<(typeof stages)[number], number>;
  const info = adapter.info ?? {};
  const out: BenchFigures = {
    device: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter',
    image: `1920x1080 from ${sourceUrl.split('/').pop()}`,
    face_width_px: Math.round(faceWidth),
    field_region_px: regionPx,
    runs,
    gpu_copy_1080p_ms: median(t.copy),
    gpu_warp_1080p_ms: median(t.warp),
    gpu_field_build: onGpu ? 'gpu' : 'cpu',
    gpu_warp_gpu_field_1080p_ms: median(t.gpuField),
    gpu_warp_cpu_field_1080p_ms: median(t.cpuField),
    field_plan_ms: median(t.plan),
    gpu_warp_form: String(warper.lastPass),
    cpu_warp_1080p_ms: median(t.cpu),
    field_build_ms: median(t.field),
    detect_ms: median(t.detect),
    detect_tiled_ms: median(t.detectTiled),
    detect_tiled_image: `${groupUrl.split('/').pop()} (${group.width}x${group.height}, ${tiledDetector.lastTileCount} tiles)`,
    reshape_e2e_webgpu_ms: median(t.e2e),
    e2e_decode_ms: st.decode,
    e2e_detect_ms: st.detect,
    e2e_field_ms: st.field,
    e2e_upload_ms: st.upload,
    e2e_warp_ms: st.warp,
    e2e_readback_ms: st.readback,
    e2e_encode_ms: st.encode,
    e2e_stages_sum_ms: stages.reduce((sum, k) => sum + st[k], 0),
    ratio_e2e_to_inherent: median(t.e2e) / (st.decode + st.detect + st.encode),
    ratio_gpu_warp_to_copy: median(t.warp) / median(t.copy),
    ...(gpuT.copy.length
      ? {
          gpu_copy_1080p_timestamp_ms: median(gpuT.copy),
          gpu_warp_1080p_timestamp_ms: median(gpuT.warp),
          gpu_warp_gpu_field_1080p_timestamp_ms: median(gpuT.gpuField),
          gpu_warp_cpu_field_1080p_timestamp_ms: median(gpuT.cpuField),
        }
      : {}),
  };
  timer?.destroy();
  reshaper.close();
  tiledDetector.close();
  yardstick.destroy();
  warper.destroy();
  uploader.destroy();
  detector.close();
  device.destroy();
  return out;
}

export interface VideoBenchFigures {
  video_640x480_fps: number;
  video_detect_ms: number;
  video_track_ms: number;
  video_field_ms: number;
  video_render_ms: number;
  video_total_ms: number;
  video_backend: string;
  video_upload: string;
  video_present: string;
  /** The same frames with `worker: true`: detect worker and render worker, frame n+1 detected while frame n is warped. */
  video_worker_640x480_fps: number;
  video_worker_detect_ms: number;
  video_worker_track_ms: number;
  video_worker_field_ms: number;
  video_worker_render_ms: number;
  /** Share of frames whose detection overlapped the previous frame's warp (FrameStats.overlapped). */
  video_worker_overlapped: number;
  video_worker_backend: string;
}

/**
 * The live path (VideoReshaper.renderFrame) on 640×480 frames of a face that drifts a few pixels per
 * frame, as a camera would deliver them back to back, on the main thread and then with
 * `worker: true`. fps = frames / wall time. Main thread: each frame awaited before the next is
 * drawn. Worker mode: up to three renderFrame() calls open (one frame detecting, one being warped,
 * one waiting its turn), so the detect worker always has the next frame as soon as it is free.
 */
export async function runVideoBenchInPage(sourceUrl: string, frames: number): Promise<VideoBenchFigures> {
  const w = window as any;
  const median = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const src = await createImageBitmap(await (await fetch(sourceUrl)).blob());
  const frame = new OffscreenCanvas(640, 480);
  const fctx = frame.getContext('2d')!;
  const scale = Math.min(640 / src.width, 480 / src.height) * 1.1;
  const draw = (i: number) => {
    const dx = 6 * Math.sin(i / 5);
    fctx.fillStyle = '#888';
    fctx.fillRect(0, 0, 640, 480);
    fctx.drawImage(src, 320 - (src.width * scale) / 2 + dx, 240 - (src.height * scale) / 2, src.width * scale, src.height * scale);
  };
  const run = async (worker: boolean) => {
    const out = document.createElement('canvas');
    document.body.append(out);
    const vr = await w.lib.VideoReshaper.create({ canvas: out, worker, edits: [{ shape: 'slim_face', strength: 0.7 }, { shape: 'big_eyes', strength: 0.5 }] });
    const stats: any[] = [];
    const open: Promise<any>[] = [];
    let t0 = 0;
    for (let i = -3; i < frames; i++) {
      if (i === 0) {
        // Warm-up frames finished first, so the timed span starts from an idle pipeline.
        await Promise.all(open.splice(0));
        t0 = performance.now();
      }
      draw(i);
      // renderFrame() copies the source at the call in worker mode; on the main thread it is awaited before the next draw.
      const p = vr.renderFrame(frame, 1000 + i * 33.3);
      if (!worker) {
        const info = await p;
        if (i >= 0) stats.push(info);
        continue;
      }
      if (i >= 0) open.push(p);
      else open.push(p.then(() => null));
      if (open.length >= 3) {
        const info = await open.shift();
        if (info) stats.push(info);
      }
    }
    for (const info of await Promise.all(open)) if (info) stats.push(info);
    const wall = performance.now() - t0;
    vr.close();
    out.remove();
    return { stats, wall };
  };
  const main = await run(false);
  const work = await run(true);
  const pick = (stats: any[], k: string) => median(stats.map((s) => s[k]));
  const last = main.stats[main.stats.length - 1];
  const lastW = work.stats[work.stats.length - 1];
  return {
    video_640x480_fps: (1000 * frames) / main.wall,
    video_detect_ms: pick(main.stats, 'detectMs'),
    video_track_ms: pick(main.stats, 'trackMs'),
    video_field_ms: pick(main.stats, 'fieldMs'),
    video_render_ms: pick(main.stats, 'renderMs'),
    video_total_ms: pick(main.stats, 'totalMs'),
    video_backend: last.backend,
    video_upload: last.upload,
    video_present: last.present,
    video_worker_640x480_fps: (1000 * frames) / work.wall,
    video_worker_detect_ms: pick(work.stats, 'detectMs'),
    video_worker_track_ms: pick(work.stats, 'trackMs'),
    video_worker_field_ms: pick(work.stats, 'fieldMs'),
    video_worker_render_ms: pick(work.stats, 'renderMs'),
    video_worker_overlapped: work.stats.filter((s) => s.overlapped).length / work.stats.length,
    video_worker_backend: `${lastW.backend} (upload ${lastW.upload}, present ${lastW.present})`,
  };
}
