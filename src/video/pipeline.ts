import type { NormalizedEdit } from '../shapes/edits.js';
import { FaceReshapeError } from '../errors.js';
import { buildField } from '../field/build.js';
import { planField, type FieldItem, type FieldPlan } from '../field/plan.js';
import { fieldOnGpu, type FieldBuild } from '../field/gpu-build.js';
import { FieldScratch } from '../field/scratch.js';
import { sizeOf, type DecodedSource } from '../types.js';
import { LandmarkDetector, type LandmarkDetectorOptions } from '../landmarks/detector.js';
import { TextureReader } from '../gpu/readback.js';
import { TextureUploader, type GpuImageSource } from '../gpu/upload.js';
import { warpCpu } from '../warp/cpu.js';
import { isEmulated } from '../gpu/adapter.js';
import { isDeviceLost, requestGpuDevice } from '../gpu/device.js';
import { GpuWarper } from '../warp/gpu-warper.js';
import { ExternalUploader } from './external-upload.js';
import { FaceTracker, type TrackedFace } from './tracker.js';
import type { OneEuroOptions } from './one-euro.js';
import type { Face } from '../types.js';

/** A frame the pipeline can take: a playing <video>, a VideoFrame, an ImageBitmap, a canvas or an <img>. */
export type VideoSource = HTMLVideoElement | VideoFrame | ImageBitmap | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement;

export type VideoBackend = 'webgpu' | 'cpu';
/**
 * How frames reach the GPU: 'external' (importExternalTexture + one blit pass; <video>/VideoFrame
 * only, else 'copy'), 'copy' (copyExternalImageToTexture) or 'canvas2d' (video drawn into a 2D
 * canvas, read to the CPU and written with writeTexture: for environments where importing video
 * frames into WebGPU loses the device, as headless Chromium on SwiftShader does).
 */
export type UploadPath = 'external' | 'copy' | 'canvas2d';

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
  /** Upload, warp and present: GPU commands recorded and submitted (CPU side; the GPU finishes asynchronously). */
  renderMs: number;
  totalMs: number;
  backend: VideoBackend;
  upload: UploadPath | 'cpu';
  present: PresentPath;
}

/** How warped frames reach the canvas: 'webgpu' (a WebGPU canvas context, no CPU round trip) or '2d' (GPU readback + putImageData). */
export type PresentPath = 'webgpu' | '2d';

export interface PipelineOptions extends Omit<LandmarkDetectorOptions, 'runningMode' | 'tiling'> {
  backend?: 'auto' | VideoBackend;
  /** true (default), false, or One Euro parameters. */
  smoothing?: boolean | OneEuroOptions;
  /** 'auto' (default): 'external' where WebGPU canvas interop works (see `present`), else 'canvas2d'. */
  upload?: 'auto' | UploadPath;
  /**
   * 'auto' (default): a WebGPU canvas context, except on SwiftShader (see canPresentWebGpu), where
   * frames go through a 2D context.
   */
  present?: 'auto' | PresentPath;
  /** Where the field is computed on the WebGPU backend (see FaceReshaperOptions.fieldBuild). */
  fieldBuild?: FieldBuild;
  /** @internal Test hook: sees (and may change in place) the raw detections of a frame before smoothing. */
  beforeSmoothing?: (faces: import('../types.js').Face[], timestampMs: number) => void;
}

function smoothingOptions(s: boolean | OneEuroOptions | undefined): OneEuroOptions & { smoothing: boolean } {
  if (s === false) return { smoothing: false };
  if (s === true || s === undefined) return { smoothing: true };
  return { ...s, smoothing: true };
}

/**
 * Detect → track/smooth → field → upload → warp → present, for one output canvas, synchronous
 * per frame. The main-thread VideoReshaper and the worker both run exactly this class, so both
 * paths give the same pixels. Everything that can be is created once: detector (VIDEO mode),
 * tracker state, uploader and warper textures, the field-item list; the canvas is resized only
 * when the frame size changes.
 */
export class FramePipeline {
  readonly backend: VideoBackend;
  private detector: LandmarkDetector | null;
  private readonly tracker: FaceTracker;
  private readonly canvas: HTMLCanvasElement | OffscreenCanvas;
  private readonly device: GPUDevice | null;
  private readonly gpuContext: GPUCanvasContext | null;
  readonly present: PresentPath;
  private readonly uploader: TextureUploader | null;
  private readonly external: ExternalUploader | null;
  private readonly warper: GpuWarper | null;
  private readonly reader: TextureReader | null;
  private readonly ctx2d: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  /** Field arrays reused frame to frame. */
  private readonly fieldScratch = new FieldScratch();
  /** Whether the field's values are computed on the GPU (decided once, from the device and options.fieldBuild). */
  private readonly fieldOnGpu: boolean;
  private readonly scratch: OffscreenCanvas | null;
  private readonly scratchCtx: OffscreenCanvasRenderingContext2D | null;
  private readonly items: FieldItem[] = [];
  private readonly itemPool: { face: TrackedFace; edits: NormalizedEdit[] }[] = [];
  private readonly beforeSmoothing: PipelineOptions['beforeSmoothing'];
  private edits: NormalizedEdit[] = [];
  private uploadPath: UploadPath;
  private lastTs = -Infinity;
  private lastOut: GPUTexture | null = null;
  private frames = 0;
  private closed = false;
  /** Faces of the last frame (smoothed; objects rewritten every frame). */
  faces: readonly TrackedFace[] = [];

  private constructor(canvas: HTMLCanvasElement | OffscreenCanvas, detector: LandmarkDetector, device: GPUDevice | null, present: PresentPath, options: PipelineOptions) {
    this.canvas = canvas;
    this.detector = detector;
    this.device = device;
    this.fieldOnGpu = device ? fieldOnGpu(device, options.fieldBuild) : false;
    this.beforeSmoothing = options.beforeSmoothing;
    this.uploadPath = options.upload && options.upload !== 'auto' ? options.upload : present === 'webgpu' ? 'external' : 'canvas2d';
    const maxFaces = options.maxFaces ?? 4;
    this.tracker = new FaceTracker({ maxFaces, ...smoothingOptions(options.smoothing) });
    for (let k = 0; k < maxFaces; k++) this.itemPool.push({ face: null as unknown as TrackedFace, edits: this.edits });
    if (device) {
      this.backend = 'webgpu';
      this.present = present;
      if (present === 'webgpu') {
        const ctx = canvas.getContext('webgpu') as GPUCanvasContext | null;
        if (!ctx) throw new FaceReshapeError('WEBGPU_UNAVAILABLE', 'canvas.getContext("webgpu") returned null (the canvas may already have a 2D context).');
        this.gpuContext = ctx;
        this.ctx2d = null;
      } else {
        this.gpuContext = null;
        this.ctx2d = context2d(canvas);
      }
      this.uploader = new TextureUploader(device, { label: 'face-reshape video input' });
      this.external = new ExternalUploader(device);
      this.warper = new GpuWarper(device, { label: 'face-reshape video warp' });
      this.reader = new TextureReader(device, { label: 'face-reshape video snapshot' });
      this.scratch = new OffscreenCanvas(1, 1);
      this.scratchCtx = this.scratch.getContext('2d', { willReadFrequently: true });
    } else {
      this.backend = 'cpu';
      this.present = '2d';
      this.gpuContext = this.uploader = this.external = this.warper = this.reader = null;
      this.ctx2d = context2d(canvas);
      this.scratch = new OffscreenCanvas(1, 1);
      this.scratchCtx = this.scratch.getContext('2d', { willReadFrequently: true });
    }
  }

  static async create(canvas: HTMLCanvasElement | OffscreenCanvas, options: PipelineOptions = {}): Promise<FramePipeline> {
    const backend = options.backend ?? 'auto';
    let device: GPUDevice | null = null;
    let canPresent = false;
    if (backend !== 'cpu') {
      try {
        if ((options.present ?? 'auto') === 'auto') canPresent = await canPresentWebGpu();
        device = (await requestGpuDevice({ label: 'face-reshape video device' })).device;
      } catch (e) {
        if (backend === 'webgpu' || !(e instanceof FaceReshapeError) || e.code !== 'WEBGPU_UNAVAILABLE') throw e;
        console.warn(`webgpu-face-reshape: ${e.message} Falling back to the CPU warp for video.`);
      }
    }
    let detector: LandmarkDetector | null = null;
    try {
      const { backend: _b, smoothing: _s, upload: _u, beforeSmoothing: _h, ...detOpts } = options;
      const { present: _p, ...detOnly } = detOpts;
      const present: PresentPath = !device ? '2d' : options.present && options.present !== 'auto' ? options.present : canPresent ? 'webgpu' : '2d';
      detector = await LandmarkDetector.create({ ...detOnly, runningMode: 'VIDEO', tiling: 'off' });
      return new FramePipeline(canvas, detector, device, present, options);
    } catch (e) {
      detector?.close();
      device?.destroy();
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
    if (!(width > 0 && height > 0)) throw new FaceReshapeError('ERROR_INVALID_PARAMETER', `The video frame has no pixels (${width}×${height}); is the video playing?`);
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
    const field = this.fieldOnGpu ? planField(width, height, items) : buildField(width, height, items, { scratch: this.fieldScratch });
    const t3 = performance.now();

    let upload: FrameStats['upload'];
    if (this.device) upload = await this.renderGpu(source, width, height, field);
    else {
      this.renderCpu(source, width, height, field as ReturnType<typeof buildField>);
      upload = 'cpu';
    }
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
      field: this.fieldOnGpu ? 'gpu' : 'cpu',
      renderMs: t4 - t3,
      totalMs: t4 - t0,
      backend: this.backend,
      upload,
      present: this.present,
    };
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

  /** The pixels of the last frame rendered (RGBA). */
  async snapshot(): Promise<ImageData> {
    if (this.closed) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
    if (this.reader) {
      if (!this.lastOut) throw new FaceReshapeError('SERVICE_INTERNAL_ERROR', 'No frame has been rendered yet.');
      return this.reader.readImageData(this.lastOut);
    }
    const { width, height } = this.canvas;
    return (this.ctx2d as OffscreenCanvasRenderingContext2D).getImageData(0, 0, width, height);
  }

  get deviceLost(): boolean {
    return this.device ? isDeviceLost(this.device) : false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detector?.close();
    this.detector = null;
    this.gpuContext?.unconfigure();
    this.external?.destroy();
    this.uploader?.destroy();
    this.warper?.destroy();
    this.reader?.destroy();
    this.device?.destroy();
    this.lastOut = null;
  }

  private resize(width: number, height: number): boolean {
    if (this.canvas.width === width && this.canvas.height === height) return false;
    this.canvas.width = width;
    this.canvas.height = height;
    return true;
  }

  private configured = false;

  private async renderGpu(source: VideoSource, width: number, height: number, field: ReturnType<typeof buildField> | FieldPlan): Promise<UploadPath> {
    const device = this.device!;
    if ((this.resize(width, height) || !this.configured) && this.gpuContext) {
      // rgba8unorm (always allowed for canvases) matches the warp output, so presenting is a plain texture copy.
      this.gpuContext!.configure({
        device,
        format: 'rgba8unorm',
        usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_DST,
        alphaMode: 'opaque',
      });
      this.configured = true;
    }
    const isVideo =
      (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) || (typeof VideoFrame !== 'undefined' && source instanceof VideoFrame);
    let path: UploadPath = this.uploadPath;
    let src: GPUTexture | null = null;
    if (path === 'canvas2d' && isVideo) {
      src = this.uploader!.upload(this.readPixels(source, width, height));
    } else if (path === 'external' && isVideo) {
      try {
        src = this.external!.upload(source as HTMLVideoElement | VideoFrame, width, height);
      } catch (e) {
        // Not supported for this source here: copy from now on.
        console.warn(`webgpu-face-reshape: importExternalTexture failed (${(e as Error).message}); using copyExternalImageToTexture.`);
        this.uploadPath = 'copy';
      }
    }
    if (!src) {
      path = 'copy';
      src = this.uploader!.upload(source as GpuImageSource);
    }
    const out = this.warper!.warp(src, field);
    this.lastOut = out;
    if (!this.gpuContext) {
      this.ctx2d!.putImageData(await this.reader!.readImageData(out), 0, 0);
      return path;
    }
    const encoder = device.createCommandEncoder({ label: 'face-reshape video present' });
    encoder.copyTextureToTexture({ texture: out }, { texture: this.gpuContext!.getCurrentTexture() }, { width, height });
    device.queue.submit([encoder.finish()]);
    return path;
  }

  /** The frame's pixels through a reused CPU-backed 2D canvas. */
  private readPixels(source: VideoSource, width: number, height: number): ImageData {
    const scratch = this.scratch!;
    if (scratch.width !== width || scratch.height !== height) {
      scratch.width = width;
      scratch.height = height;
    }
    const sctx = this.scratchCtx!;
    sctx.drawImage(source as CanvasImageSource, 0, 0, width, height);
    return sctx.getImageData(0, 0, width, height);
  }

  private renderCpu(source: VideoSource, width: number, height: number, field: ReturnType<typeof buildField>): void {
    this.resize(width, height);
    const img = this.readPixels(source, width, height);
    if (!field.regions.length) {
      this.ctx2d!.putImageData(img, 0, 0);
      return;
    }
    const out = warpCpu(img, field);
    this.ctx2d!.putImageData(new ImageData(out.data, width, height), 0, 0);
  }
}

function context2d(canvas: HTMLCanvasElement | OffscreenCanvas): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new FaceReshapeError('SERVICE_INTERNAL_ERROR', 'canvas.getContext("2d") returned null (the canvas may already have a WebGPU context).');
  return ctx;
}

let presentProbe: Promise<boolean> | null = null;

/**
 * Whether frames should be presented through a WebGPU canvas context (and video imported as
 * external textures). False on SwiftShader: headless Chromium there loses every device of the
 * page ("A valid external Instance reference no longer exists") as soon as a WebGPU canvas is
 * presented or a video frame imported. Decided from the adapter's info, without touching a canvas.
 */
export function canPresentWebGpu(): Promise<boolean> {
  presentProbe ??= (async () => {
    try {
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      const adapter = await gpu?.requestAdapter();
      if (!adapter) return false;
      return !isEmulated(adapter.info);
    } catch {
      return false;
    }
  })();
  return presentProbe;
}
