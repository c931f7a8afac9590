import { FaceReshapeError } from '../errors.js';
import { buildField } from '../field/build.js';
import type { FieldBuild } from '../field/gpu-build.js';
import { planField, type FieldItem } from '../field/plan.js';
import { FieldScratch } from '../field/scratch.js';
import { isEmulated } from '../gpu/adapter.js';
import { requestGpuDevice } from '../gpu/device.js';
import { LandmarkDetector, type LandmarkDetectorOptions } from '../landmarks/detector.js';
import type { NormalizedEdit } from '../shapes/edits.js';
import { sizeOf, type Backend, type DecodedSource, type Face } from '../types.js';
import { CpuFrameRenderer } from './cpu-renderer.js';
import type { FrameRenderer, PresentPath, UploadPath, VideoSource } from './frame-renderer.js';
import { GpuFrameRenderer } from './gpu-renderer.js';
import type { OneEuroOptions } from './one-euro.js';
import { FaceTracker, type TrackedFace } from './tracker.js';

export type { PresentPath, UploadPath, VideoSource } from './frame-renderer.js';

/** Per-frame figures (milliseconds of wall time on the thread that runs the pipeline). */
export interface FrameStats {
  /** Frames rendered so far, this one included. */
  frame: number;
  /** Timestamp given to the detector (ms, strictly increasing). */
  timestampMs: number;
  width: number;
  height: number;
  faces: number;
  detectMs: number;
  /** Tracking and smoothing. */
  trackMs: number;
  /** Building the field ('cpu'), or only planning it ('gpu': its values are computed in the render's GPU work). */
  fieldMs: number;
  field: 'gpu' | 'cpu';
  /** Upload, warp and present (WebGPU: commands recorded and submitted; the GPU finishes asynchronously). */
  renderMs: number;
  totalMs: number;
  backend: Backend;
  upload: UploadPath | 'cpu';
  present: PresentPath;
}

export interface PipelineOptions extends Omit<LandmarkDetectorOptions, 'runningMode' | 'tiling'> {
  /**
   * 'auto' (default): WebGPU on a real GPU; the CPU warp into a 2D canvas where the adapter is
   * emulated on the CPU (SwiftShader), where it is several times faster for video and presenting a
   * WebGPU canvas loses the device; the CPU warp also where there is no WebGPU.
   */
  backend?: 'auto' | Backend;
  /** true (default), false, or One Euro parameters. */
  smoothing?: boolean | OneEuroOptions;
  /** 'auto' (default): 'external' where frames are presented through WebGPU, else 'canvas2d'. */
  upload?: 'auto' | UploadPath;
  /** 'auto' (default): a WebGPU canvas context, except on an emulated adapter, where frames go through a 2D context. */
  present?: 'auto' | PresentPath;
  /** Where the field is computed on the WebGPU backend (see FaceReshaperOptions.fieldBuild). */
  fieldBuild?: FieldBuild;
  /** @internal Test hook: sees (and may change in place) the raw detections of a frame before smoothing. */
  beforeSmoothing?: (faces: Face[], timestampMs: number) => void;
}

function smoothingOptions(s: boolean | OneEuroOptions | undefined): OneEuroOptions & { smoothing: boolean } {
  if (s === false) return { smoothing: false };
  if (s === true || s === undefined) return { smoothing: true };
  return { ...s, smoothing: true };
}

/**
 * Detect → track/smooth → field → render, for one output canvas, one frame at a time. The
 * main-thread VideoReshaper and the worker both run exactly this class, so both paths give the
 * same pixels. Everything that can be is created once: the detector (VIDEO mode), the tracker's
 * state, the field's arrays and item list, and the renderer's textures.
 */
export class FramePipeline {
  readonly backend: Backend;
  readonly present: PresentPath;
  private detector: LandmarkDetector | null;
  private readonly tracker: FaceTracker;
  private readonly renderer: FrameRenderer;
  /** Field arrays reused frame to frame. */
  private readonly fieldScratch = new FieldScratch();
  private readonly items: FieldItem[] = [];
  private readonly itemPool: { face: TrackedFace; edits: NormalizedEdit[] }[] = [];
  private readonly beforeSmoothing: PipelineOptions['beforeSmoothing'];
  private edits: NormalizedEdit[] = [];
  private lastTs = -Infinity;
  private frames = 0;
  private closed = false;
  /** Faces of the last frame (smoothed; objects rewritten every frame). */
  faces: readonly TrackedFace[] = [];

  private constructor(detector: LandmarkDetector, renderer: FrameRenderer, options: PipelineOptions) {
    this.detector = detector;
    this.renderer = renderer;
    this.backend = renderer.backend;
    this.present = renderer.present;
    this.beforeSmoothing = options.beforeSmoothing;
    const maxFaces = options.maxFaces ?? 4;
    this.tracker = new FaceTracker({ maxFaces, ...smoothingOptions(options.smoothing) });
    for (let k = 0; k < maxFaces; k++) this.itemPool.push({ face: null as unknown as TrackedFace, edits: this.edits });
  }

  static async create(canvas: HTMLCanvasElement | OffscreenCanvas, options: PipelineOptions = {}): Promise<FramePipeline> {
    const renderer = await createRenderer(canvas, options);
    try {
      const { backend: _b, smoothing: _s, upload: _u, beforeSmoothing: _h, present: _p, fieldBuild: _f, ...detectorOptions } = options;
      const detector = await LandmarkDetector.create({ ...detectorOptions, runningMode: 'VIDEO', tiling: 'off' });
      return new FramePipeline(detector, renderer, options);
    } catch (e) {
      renderer.close();
      throw e;
    }
  }

  /** Replaces the edits (normalized, zero strengths dropped) from the next frame on. */
  setEdits(edits: NormalizedEdit[]): void {
    this.edits = edits;
    for (const it of this.itemPool) it.edits = edits;
  }

  setSmoothing(s: boolean | OneEuroOptions): void {
    this.tracker.setOptions(smoothingOptions(s));
  }

  /** Renders one frame into the canvas. `timestampMs` is raised to keep detector timestamps strictly increasing. */
  async process(source: VideoSource, timestampMs: number): Promise<FrameStats> {
    if (this.closed || !this.detector) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
    const t0 = performance.now();
    const { width, height } = sizeOf(source as DecodedSource);
    if (!(width > 0 && height > 0)) throw new FaceReshapeError('INVALID_ARGUMENT', `The video frame has no pixels (${width}×${height}); is the video playing?`);
    const ts = timestampMs > this.lastTs ? timestampMs : this.lastTs + 1;
    this.lastTs = ts;

    const raw = await this.detectFrame(source as DecodedSource, ts);
    const t1 = performance.now();
    this.beforeSmoothing?.(raw, ts);
    const faces = this.tracker.update(raw, ts / 1000);
    this.faces = faces;
    const t2 = performance.now();

    const items = this.items;
    items.length = 0;
    if (this.edits.length) {
      for (let k = 0; k < faces.length && k < this.itemPool.length; k++) {
        const it = this.itemPool[k];
        it.face = faces[k];
        items.push(it);
      }
    }
    // On the GPU only the plan is made here; the field's values are computed in the warp's submission.
    const onGpu = this.renderer.fieldOnGpu;
    const field = onGpu ? planField(width, height, items) : buildField(width, height, items, { scratch: this.fieldScratch });
    const t3 = performance.now();
    const upload = await this.renderer.render(source, width, height, field);
    const t4 = performance.now();
    this.frames++;
    return {
      frame: this.frames,
      timestampMs: ts,
      width,
      height,
      faces: faces.length,
      detectMs: t1 - t0,
      trackMs: t2 - t1,
      fieldMs: t3 - t2,
      field: onGpu ? 'gpu' : 'cpu',
      renderMs: t4 - t3,
      totalMs: t4 - t0,
      backend: this.backend,
      upload,
      present: this.present,
    };
  }

  /** The pixels of the last frame rendered (RGBA). */
  snapshot(): Promise<ImageData> {
    if (this.closed) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
    return this.renderer.snapshot();
  }

  get deviceLost(): boolean {
    return this.renderer.lost;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detector?.close();
    this.detector = null;
    this.renderer.close();
  }

  /** Landmarks of one frame; a detector whose WebGL context was lost is rebuilt, and asked again, once. */
  private async detectFrame(source: DecodedSource, timestampMs: number): Promise<Face[]> {
    const detector = this.detector!;
    try {
      return detector.detectForVideo(source, timestampMs);
    } catch (e) {
      if (!(e instanceof FaceReshapeError) || e.code !== 'DETECTOR_LOST') throw e;
      await detector.restore();
      return detector.detectForVideo(source, timestampMs);
    }
  }
}

/** The adapter WebGPU would give, asked once per page: null where there is none. */
let adapterProbe: Promise<GPUAdapterInfo | null> | null = null;
function adapterInfo(): Promise<GPUAdapterInfo | null> {
  adapterProbe ??= (async () => {
    try {
      const adapter = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter();
      return adapter ? adapter.info : null;
    } catch {
      return null;
    }
  })();
  return adapterProbe;
}

/**
 * The renderer the options and this browser call for (see PipelineOptions.backend and .present):
 * on an emulated adapter (SwiftShader) 'auto' draws with the CPU warp, and a WebGPU canvas is not
 * presented (headless Chromium there loses every device of the page: "A valid external Instance
 * reference no longer exists"); without WebGPU 'auto' falls back to the CPU warp with a warning.
 */
async function createRenderer(canvas: HTMLCanvasElement | OffscreenCanvas, options: PipelineOptions): Promise<FrameRenderer> {
  const backend = options.backend ?? 'auto';
  if (backend === 'cpu') return new CpuFrameRenderer(canvas);
  const info = await adapterInfo();
  const emulated = isEmulated(info ?? undefined);
  if (backend === 'auto' && emulated) return new CpuFrameRenderer(canvas);
  let device: GPUDevice;
  try {
    device = (await requestGpuDevice({ label: 'face-reshape video device' })).device;
  } catch (e) {
    if (backend === 'webgpu' || !(e instanceof FaceReshapeError) || e.code !== 'WEBGPU_UNAVAILABLE') throw e;
    console.warn(`webgpu-face-reshape: ${e.message} Falling back to the CPU warp for video.`);
    return new CpuFrameRenderer(canvas);
  }
  const present: PresentPath = options.present && options.present !== 'auto' ? options.present : emulated ? '2d' : 'webgpu';
  try {
    return new GpuFrameRenderer(device, canvas, { present, upload: options.upload, fieldBuild: options.fieldBuild });
  } catch (e) {
    device.destroy();
    throw e;
  }
}
