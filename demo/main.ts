// The demo uses the package as any app does: Vite finds the model and the wasm the library
// names, emits them into the build, and the app serves them from its own origin.
import { FaceReshaper, VideoReshaper, isFaceReshapeError, type Edit, type Face, type ShapeName, type VideoFrameInfo } from 'webgpu-face-reshape';

const GROUPS: Record<string, ShapeName[]> = {
  Face: ['cheekbone', 'cut_face', 'slim_face', 'long_face', 'chin_shorten', 'chin_lengthen', 'slim_chin', 'slim_jaw'],
  Eyes: ['big_eyes', 'eye_height', 'eye_angle_1', 'eye_angle_2', 'eye_distance', 'widen_eye_distance'],
  Nose: ['slim_nose', 'nose_wing', 'nose_length', 'nose_tip'],
  Mouth: ['lip_width', 'lip_size', 'lip_height', 'philtrum'],
};
const LABELS: Partial<Record<ShapeName, string>> = {
  cut_face: 'V-line', long_face: 'Shorter face', eye_angle_1: 'Eye tilt', eye_angle_2: 'Inner corners',
  eye_distance: 'Eyes closer', widen_eye_distance: 'Eyes apart', nose_tip: 'Nose tip lift', lip_height: 'Mouth position',
};
const PRESETS: Record<string, Partial<Record<ShapeName, number>>> = {
  natural: { slim_face: 0.3, big_eyes: 0.25, slim_nose: 0.2 },
  doll: { big_eyes: 0.8, eye_height: 0.4, slim_face: 0.5, cut_face: 0.4, slim_nose: 0.4, lip_size: -0.2 },
  vline: { cut_face: 0.8, slim_jaw: 0.5, slim_chin: 0.4, cheekbone: 0.3 },
  reset: {},
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusEl = $('status');
const resultCanvas = $<HTMLCanvasElement>('result');
const originalCanvas = $<HTMLCanvasElement>('original');
const overlay = $<HTMLCanvasElement>('overlay');
const view = $('view');
const perf = $<HTMLOutputElement>('perf');
const downloadBtn = $<HTMLButtonElement>('download');
const cameraBtn = $<HTMLButtonElement>('camera');
const splitBox = $<HTMLInputElement>('split');
const splitPos = $<HTMLInputElement>('split-pos');
const landmarksBox = $<HTMLInputElement>('landmarks');

const strengths = new Map<ShapeName, number>();
let reshaper: FaceReshaper | null = null;
let reshaperReady: Promise<FaceReshaper> | null = null;
let photo: ImageBitmap | null = null;
let photoFaces: Face[] = [];
let video: VideoReshaper | null = null;
let videoCanvas: HTMLCanvasElement | null = null;
let stream: MediaStream | null = null;
let cameraFaces: Face[] = [];
let rendering = false;
let dirty = false;

/** State the tests read. */
const demo = { renders: 0, ready: false, lastError: '', backend: '', boxes: [] as number[][] };
(window as unknown as { demo: typeof demo }).demo = demo;

function say(text: string, kind: '' | 'warn' | 'error' = ''): void {
  statusEl.textContent = text;
  statusEl.className = kind;
  if (kind === 'error') demo.lastError = text;
}

function edits(): Edit[] {
  return [...strengths].filter(([, v]) => v !== 0).map(([shape, strength]) => ({ shape, strength }));
}

function buildSliders(): void {
  const root = $('sliders');
  for (const [group, shapes] of Object.entries(GROUPS)) {
    const fs = document.createElement('fieldset');
    const lg = document.createElement('legend');
    lg.textContent = group;
    fs.append(lg);
    for (const shape of shapes) {
      strengths.set(shape, 0);
      const row = document.createElement('div');
      row.className = 'slider';
      const id = `s-${shape}`;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = LABELS[shape] ?? shape.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
      const input = document.createElement('input');
      Object.assign(input, { type: 'range', id, min: '-1', max: '1', step: '0.05', value: '0' });
      input.dataset.shape = shape;
      input.setAttribute('aria-valuetext', '0');
      const out = document.createElement('output');
      out.htmlFor.add(id);
      out.textContent = '0.00';
      input.addEventListener('input', () => {
        const v = Number(input.value);
        strengths.set(shape, v);
        out.textContent = v.toFixed(2);
        input.setAttribute('aria-valuetext', v.toFixed(2));
        editsChanged();
      });
      row.append(label, input, out);
      fs.append(row);
    }
    root.append(fs);
  }
}

function applyPreset(name: string): void {
  const p = PRESETS[name] ?? {};
  for (const input of document.querySelectorAll<HTMLInputElement>('#sliders input[type=range]')) {
    const shape = input.dataset.shape as ShapeName;
    const v = p[shape] ?? 0;
    input.value = String(v);
    strengths.set(shape, v);
    (input.nextElementSibling as HTMLOutputElement).textContent = v.toFixed(2);
    input.setAttribute('aria-valuetext', v.toFixed(2));
  }
  editsChanged();
}

function editsChanged(): void {
  if (video) video.setEdits(edits());
  else void renderPhoto();
}

function getReshaper(): Promise<FaceReshaper> {
  reshaperReady ??= FaceReshaper.create().then((r) => {
    reshaper = r;
    demo.backend = r.backend;
    if (r.backend === 'cpu') say('WebGPU is not available in this browser: photos use the CPU warp (slower). The live camera needs WebGPU or runs on the CPU too.', 'warn');
    return r;
  });
  return reshaperReady;
}

async function openPhoto(file: Blob): Promise<void> {
  stopCamera();
  say('Finding faces…');
  try {
    const r = await getReshaper();
    photo?.close();
    photo = await createImageBitmap(file, { imageOrientation: 'from-image' });
    for (const c of [resultCanvas, originalCanvas, overlay]) {
      c.width = photo.width;
      c.height = photo.height;
    }
    originalCanvas.getContext('2d')!.drawImage(photo, 0, 0);
    photoFaces = await r.detect(photo);
    demo.boxes = photoFaces.map((f) => [...f.box]);
    showView(resultCanvas);
    if (r.backend !== 'cpu') say(photoFaces.length ? `${photoFaces.length} face${photoFaces.length > 1 ? 's' : ''} found. Move a slider.` : 'No face found in this photo: it is shown unchanged.', photoFaces.length ? '' : 'warn');
    downloadBtn.disabled = false;
    await renderPhoto();
  } catch (e) {
    say(`Could not open this image: ${isFaceReshapeError(e) ? e.message : String(e)}`, 'error');
  }
}

async function renderPhoto(): Promise<void> {
  if (!photo || !reshaper) return;
  if (rendering) {
    dirty = true;
    return;
  }
  rendering = true;
  try {
    do {
      dirty = false;
      const res = await reshaper.reshape(photo, { edits: edits(), faces: photoFaces });
      resultCanvas.getContext('2d')!.putImageData(res.image, 0, 0);
      demo.renders++;
    } while (dirty);
    drawOverlay();
  } catch (e) {
    say(`Reshaping failed: ${isFaceReshapeError(e) ? `${e.code}: ${e.message}` : String(e)}`, 'error');
  } finally {
    rendering = false;
  }
}

function showView(main: HTMLCanvasElement): void {
  view.hidden = false;
  $('drop-hint').hidden = true;
  resultCanvas.hidden = main !== resultCanvas;
  if (videoCanvas) videoCanvas.hidden = main !== videoCanvas;
  updateCompare(false);
}

function drawOverlay(): void {
  const faces = video ? cameraFaces : photoFaces;
  const w = video ? videoCanvas!.width : resultCanvas.width;
  const h = video ? videoCanvas!.height : resultCanvas.height;
  if (overlay.width !== w || overlay.height !== h) {
    overlay.width = w;
    overlay.height = h;
  }
  const g = overlay.getContext('2d')!;
  g.clearRect(0, 0, w, h);
  if (!landmarksBox.checked) return;
  g.fillStyle = '#3cf';
  const r = Math.max(1, w / 500);
  for (const f of faces) for (const p of f.landmarks) g.fillRect(p[0] - r / 2, p[1] - r / 2, r, r);
}

let holding = false;
function updateCompare(hold: boolean): void {
  holding = hold;
  splitPos.disabled = !splitBox.checked;
  if (video) {
    originalCanvas.hidden = true; // camera: compare by holding = edits off
    video.setEdits(hold ? [] : edits());
    return;
  }
  originalCanvas.hidden = !(hold || splitBox.checked);
  originalCanvas.style.clipPath = hold ? 'none' : `inset(0 ${100 - Number(splitPos.value)}% 0 0)`;
}

async function startCamera(): Promise<void> {
  if (video) return stopCamera();
  if (!navigator.mediaDevices?.getUserMedia) {
    say('No camera access here: the page needs a secure context (https or localhost) and a browser with getUserMedia.', 'error');
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false });
  } catch (e) {
    say(`The camera is unavailable (${(e as Error).name}: ${(e as Error).message}). Allow camera access, or open a photo instead.`, 'error');
    return;
  }
  say('Starting the camera…');
  const el = document.createElement('video');
  el.muted = true;
  el.playsInline = true;
  el.srcObject = stream;
  await el.play();
  videoCanvas?.remove();
  videoCanvas = document.createElement('canvas');
  videoCanvas.setAttribute('aria-label', 'Reshaped camera video');
  view.insertBefore(videoCanvas, originalCanvas);
  try {
    video = await VideoReshaper.create({
      video: el,
      canvas: videoCanvas,
      edits: edits(),
      reportFaces: true,
      onFrame: (info: VideoFrameInfo) => {
        cameraFaces = info.faceList ?? [];
        perf.textContent = `${info.fps.toFixed(1)} fps · ${info.latencyMs.toFixed(0)} ms latency · detect ${info.detectMs.toFixed(0)} ms · render ${info.renderMs.toFixed(0)} ms`;
        drawOverlay();
      },
      onError: (e) => say(`Camera frame failed: ${e.code}: ${e.message}`, 'error'),
    });
  } catch (e) {
    say(`Could not start live reshaping: ${isFaceReshapeError(e) ? e.message : String(e)}`, 'error');
    stream.getTracks().forEach((t) => t.stop());
    stream = null;
    return;
  }
  cameraBtn.textContent = 'Stop camera';
  downloadBtn.disabled = false;
  showView(videoCanvas);
  say(video.backend === 'cpu' ? 'Camera running on the CPU warp (WebGPU is not available): expect a low frame rate.' : 'Camera running. Move a slider.', video.backend === 'cpu' ? 'warn' : '');
}

function stopCamera(): void {
  video?.close();
  video = null;
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  videoCanvas?.remove();
  videoCanvas = null;
  perf.textContent = '';
  cameraBtn.textContent = 'Start camera';
  if (photo) showView(resultCanvas);
}

async function download(): Promise<void> {
  let blob: Blob | null;
  if (video) {
    const img = await video.snapshot();
    const c = new OffscreenCanvas(img.width, img.height);
    c.getContext('2d')!.putImageData(img, 0, 0);
    blob = await c.convertToBlob({ type: 'image/png' });
  } else {
    blob = await new Promise<Blob | null>((r) => resultCanvas.toBlob(r, 'image/png'));
  }
  if (!blob) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'reshaped.png';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function wire(): void {
  $<HTMLInputElement>('file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void openPhoto(f);
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void openPhoto(f);
  });
  cameraBtn.addEventListener('click', () => void startCamera());
  downloadBtn.addEventListener('click', () => void download());
  const hold = $<HTMLButtonElement>('hold');
  hold.addEventListener('pointerdown', () => updateCompare(true));
  for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) hold.addEventListener(ev, () => holding && updateCompare(false));
  hold.addEventListener('keydown', (e) => (e.key === ' ' || e.key === 'Enter') && !e.repeat && updateCompare(true));
  hold.addEventListener('keyup', () => updateCompare(false));
  splitBox.addEventListener('change', () => updateCompare(false));
  splitPos.addEventListener('input', () => updateCompare(false));
  landmarksBox.addEventListener('change', drawOverlay);
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) b.addEventListener('click', () => applyPreset(b.dataset.preset!));
}

buildSliders();
wire();
if (!('gpu' in navigator)) say('WebGPU is not available in this browser: photos use the CPU warp (slower).', 'warn');
void getReshaper()
  .then(() => {
    demo.ready = true;
    if (!statusEl.textContent) say('Ready. Open a photo or start the camera.');
  })
  .catch((e) => say(`Could not load the face model: ${isFaceReshapeError(e) ? e.message : String(e)}`, 'error'));
if ('serviceWorker' in navigator && import.meta.env.MODE !== 'development') {
  navigator.serviceWorker.register('./sw.js').catch((e) => console.warn('Service worker not registered:', e));
}
