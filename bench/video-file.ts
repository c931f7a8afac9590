/**
 * Runs inside the harness page (serialised by puppeteer: self-contained). Live video from a file
 * source at 1920×1080: a clip is recorded in the page (MediaRecorder on a canvas where the photo
 * drifts a few pixels per frame), played in a <video> and reshaped by VideoReshaper's own frame
 * loop for `seconds`. fps = frames rendered / wall time (frames the loop had to drop are counted
 * apart). Headless Chromium on SwiftShader records 0 bytes at 720p and above: then the canvas's
 * stream itself plays in the <video>, and `video_file_note` says so.
 */
export interface FileVideoFigures {
  video_file_1080p_fps: number;
  video_file_1080p_dropped: number;
  video_file_source: string;
  video_file_note: string;
  video_file_backend: string;
}

export async function runFileVideoBenchInPage(sourceUrl: string, seconds: number): Promise<FileVideoFigures> {
  const w = window as any;
  const W = 1920;
  const H = 1080;
  const src = await createImageBitmap(await (await fetch(sourceUrl)).blob());
  const scene = document.createElement('canvas');
  scene.width = W;
  scene.height = H;
  const sctx = scene.getContext('2d')!;
  const scale = Math.min(W / src.width, H / src.height) * 0.9;
  let tick = 0;
  const draw = () => {
    const dx = 12 * Math.sin(tick++ / 8);
    sctx.fillStyle = '#777';
    sctx.fillRect(0, 0, W, H);
    sctx.drawImage(src, W / 2 - (src.width * scale) / 2 + dx, H / 2 - (src.height * scale) / 2, src.width * scale, src.height * scale);
  };
  draw();
  const stream = scene.captureStream(30);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  // Record a clip of about 3 s.
  const type = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t)) ?? '';
  let clip: Blob | null = null;
  if (type) {
    const rec = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 8_000_000 });
    const parts: Blob[] = [];
    rec.ondataavailable = (e) => e.data.size && parts.push(e.data);
    const stopped = new Promise((r) => (rec.onstop = r));
    rec.start(500);
    const t0 = performance.now();
    while (performance.now() - t0 < 3000) {
      draw();
      await sleep(33);
    }
    rec.stop();
    await stopped;
    clip = new Blob(parts, { type });
  }
  const video = document.createElement('video');
  video.muted = true;
  video.loop = true;
  video.playsInline = true;
  let source: string;
  let note = '';
  let animate = false;
  if (clip && clip.size > 0) {
    video.src = URL.createObjectURL(clip);
    source = `recorded ${type} clip, ${(clip.size / 1e6).toFixed(1)} MB`;
  } else {
    video.srcObject = stream;
    animate = true;
    source = 'the canvas stream itself (live, not a file)';
    note = `MediaRecorder recorded ${clip ? '0 bytes' : 'nothing (no WebM type)'} at ${W}x${H} (headless Chromium on SwiftShader does so at 720p and above): the canvas stream played instead.`;
  }
  document.body.append(video);
  await video.play();
  await new Promise((r) => (video.readyState >= 2 ? r(null) : video.addEventListener('loadeddata', r, { once: true })));

  const out = document.createElement('canvas');
  document.body.append(out);
  let frames = 0;
  const vr = await w.lib.VideoReshaper.create({
    canvas: out,
    video,
    edits: [{ shape: 'slim_face', strength: 0.7 }, { shape: 'big_eyes', strength: 0.5 }],
    onFrame: () => frames++,
  });
  // Warm-up: the first frames compile pipelines and allocate. A canvas stream only has new frames
  // when the canvas is drawn, so keep drawing (waiting on a still stream, headless Chromium's
  // renderer died here: "Target closed").
  while (frames < 3) {
    if (animate) draw();
    await sleep(33);
  }
  const f0 = frames;
  const dropped0 = vr.loop?.dropped ?? 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    if (animate) draw();
    await sleep(33);
  }
  const fps = ((frames - f0) * 1000) / (performance.now() - t0);
  const dropped = (vr.loop?.dropped ?? 0) - dropped0;
  const backend = `${vr.backend}${vr.lastFrame ? ` (upload ${vr.lastFrame.upload}, present ${vr.lastFrame.present})` : ''}`;
  vr.close();
  video.pause();
  video.remove();
  out.remove();
  for (const t of stream.getTracks()) t.stop();
  return { video_file_1080p_fps: fps, video_file_1080p_dropped: dropped, video_file_source: source, video_file_note: note, video_file_backend: backend };
}
