import { normalizeEdits, type Edit, type EditRequest, type NormalizedEdit } from '../edits';
import { FaceReshapeError, type FaceReshapeErrorCode } from '../errors';
import { DEFAULT_MODEL_URL, DEFAULT_WASM_URL } from '../landmarks/detector';
import type { Face } from '../types';
import type { FromWorker, ToWorker } from '../worker/protocol';
import type { OneEuroOptions } from './one-euro';
import { FramePipeline, type FrameStats, type PipelineOptions, type VideoBackend, type VideoSource } from './pipeline';

export type { FrameStats, VideoBackend, VideoSource, UploadPath, PresentPath } from './pipeline';

export interface VideoFrameInfo extends FrameStats {
  /** Frames per second actually rendered (moving average over the last ~30 frames). */
  fps: number;
  /** From the frame's capture (camera) or callback time to its warp being submitted, ms. */
  latencyMs: number;
  /** Video frames skipped because the previous one was still being processed. */
  dropped: number;
  /** Smoothed faces of this frame, with `reportFaces: true` (copies; worker mode too). */
  faceList?: Face[];
}

export interface VideoReshaperOptions extends Omit<PipelineOptions, 'beforeSmoothing'> {
  /** Output. Sized to the video frames. With `worker: true` its control moves to the worker for good. */
  canvas: HTMLCanvasElement;
  /** The video to reshape continuously (camera or file). Optional if you call renderFrame() yourself. */
  video?: HTMLVideoElement;
  /** Edits applied to every face, changeable with setEdits(). Default: none (frames pass through). */
  edits?: EditRequest | readonly Edit[];
  /** Run detection and warping in a Web Worker (OffscreenCanvas): the page stays responsive. Default false. */
  worker?: boolean;
  /** Start the loop at once when `video` is given (default true). */
  autoStart?: boolean;
  /** Called after every rendered frame. */
  onFrame?: (info: VideoFrameInfo) => void;
  /** Called when a frame fails (the loop goes on; DEVICE_LOST and CLOSED stop it). */
  onError?: (error: FaceReshapeError) => void;
  /** Include copies of the smoothed landmarks in onFrame's `faceList` (for overlays). Default false. */
  reportFaces?: boolean;
  /** @internal Test hook, main-thread mode only: sees (and may change) raw detections before smoothing. */
  beforeSmoothing?: PipelineOptions['beforeSmoothing'];
}

type RvfcVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: { mediaTime: number; captureTime?: number; presentedFrames: number }) => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

function toEditList(e: EditRequest | readonly Edit[] | undefined): NormalizedEdit[] {
  if (e === undefined) return [];
  return normalizeEdits(Array.isArray(e) ? { edits: e as readonly Edit[] } : (e as EditRequest));
}

function absolute(url: string): string {
  const base = typeof document !== 'undefined' ? document.baseURI : self.location.href;
  return new URL(url, base).href;
}

/**
 * Real-time reshaping of a <video> (camera or file) into a canvas: landmarks in VIDEO running
 * mode, per-face One Euro smoothing with identity tracking, one warp per frame. Create with
 * `await VideoReshaper.create({ video, canvas, edits })`; change edits any time with setEdits();
 * stop() pauses, close() frees everything (both idempotent).
 *
 * Frames are scheduled with requestVideoFrameCallback (once per new video frame), else
 * requestAnimationFrame. Main-thread mode renders each frame in the callback; worker
 * mode posts the frame (a transferred VideoFrame); in both, new frames are dropped while one is in flight.
 */
export class VideoReshaper {
  readonly backend: VideoBackend;
  readonly mode: 'main' | 'worker';
  readonly canvas: HTMLCanvasElement;
  private readonly video: RvfcVideo | null;
  private pipeline: FramePipeline | null;
  private worker: Worker | null;
  private readonly onFrame?: (info: VideoFrameInfo) => void;
  private readonly onError?: (error: FaceReshapeError) => void;
  private readonly reportFaces: boolean;
  private running = false;
  private closed = false;
  private handle = 0;
  private handleKind: 'rvfc' | 'raf' | null = null;
  private lastVideoTime = -1;
  private busy = false;
  private dropped = 0;
  private lastFrameAt = -1;
  private frameIntervalEma = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: never) => void; reject: (e: FaceReshapeError) => void; start: number; capture: number }>();
  private lastInfo: VideoFrameInfo | null = null;

  private constructor(
    options: VideoReshaperOptions,
    backend: VideoBackend,
    pipeline: FramePipeline | null,
    worker: Worker | null,
  ) {
    this.canvas = options.canvas;
    this.video = (options.video as RvfcVideo) ?? null;
    this.backend = backend;
    this.pipeline = pipeline;
    this.worker = worker;
    this.mode = worker ? 'worker' : 'main';
    this.onFrame = options.onFrame;
    this.onError = options.onError;
    this.reportFaces = options.reportFaces ?? false;
    if (worker) worker.addEventListener('message', (e: MessageEvent<FromWorker>) => this.onWorkerMessage(e.data));
  }

  /** Loads the model, sets up the GPU (or CPU fallback) and, with a `video`, starts the loop. */
  static async create(options: VideoReshaperOptions): Promise<VideoReshaper> {
    if (!options || !(typeof HTMLCanvasElement !== 'undefined' && options.canvas instanceof HTMLCanvasElement)) {
      throw new FaceReshapeError('MISSING_PARAMETERS', 'VideoReshaper.create() needs `canvas`: an HTMLCanvasElement to draw into.');
    }
    const edits = toEditList(options.edits);
    const { canvas, video, edits: _e, worker: useWorker, autoStart, onFrame: _f, onError: _r, reportFaces, ...pipeOpts } = options;
    let vr: VideoReshaper;
    if (useWorker) {
      if (typeof canvas.transferControlToOffscreen !== 'function' || typeof Worker === 'undefined') {
        throw new FaceReshapeError('SERVICE_INTERNAL_ERROR', 'worker: true needs Web Workers and HTMLCanvasElement.transferControlToOffscreen().');
      }
      const { beforeSmoothing: _h, ...rest } = pipeOpts;
      // The worker starts from a blob URL: give it absolute asset URLs.
      const workerOpts = {
        ...rest,
        wasmBaseUrl: absolute(rest.wasmBaseUrl ?? DEFAULT_WASM_URL()),
        ...(rest.modelAssetBuffer ? {} : { modelAssetPath: absolute(rest.modelAssetPath ?? DEFAULT_MODEL_URL()) }),
      };
      const { spawnFrameWorker } = await import('../worker/spawn');
      const worker = spawnFrameWorker();
      const offscreen = canvas.transferControlToOffscreen();
      try {
        const backend = await new Promise<VideoBackend>((resolve, reject) => {
          const onMsg = (e: MessageEvent<FromWorker>) => {
            const m = e.data;
            if (m.type === 'ready') resolve(m.backend);
            else if (m.type === 'error' && m.id === undefined) reject(new FaceReshapeError(m.error.code as FaceReshapeErrorCode, m.error.message));
            else return;
            worker.removeEventListener('message', onMsg);
          };
          worker.addEventListener('message', onMsg);
          worker.addEventListener('error', (e) => reject(new FaceReshapeError('SERVICE_INTERNAL_ERROR', `The frame worker failed to start: ${e.message}`)), { once: true });
          const msg: ToWorker = { type: 'init', canvas: offscreen, options: workerOpts, edits, reportFaces: reportFaces ?? false };
          worker.postMessage(msg, [offscreen]);
        });
        vr = new VideoReshaper(options, backend, null, worker);
      } catch (e) {
        worker.terminate();
        throw e;
      }
    } else {
      const pipeline = await FramePipeline.create(canvas, pipeOpts);
      pipeline.setEdits(edits);
      vr = new VideoReshaper(options, pipeline.backend, pipeline, null);
    }
    if (video && (autoStart ?? true)) vr.start();
    return vr;
  }

  /** Replaces the edits from the next frame on (one `{ shape, strength }`, `{ edits }` or an array of edits). */
  setEdits(edits: EditRequest | readonly Edit[]): void {
    const list = toEditList(edits);
    this.open();
    if (this.pipeline) this.pipeline.setEdits(list);
    else this.post({ type: 'edits', edits: list });
  }

  /** Turns landmark smoothing on/off or changes its One Euro parameters. */
  setSmoothing(value: boolean | OneEuroOptions): void {
    this.open();
    if (this.pipeline) this.pipeline.setSmoothing(value);
    else this.post({ type: 'smoothing', value });
  }

  /** Starts (or resumes) reshaping the video given to create(). */
  start(): void {
    this.open();
    if (!this.video) throw new FaceReshapeError('MISSING_PARAMETERS', 'start() needs the `video` option; or call renderFrame() per frame.');
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Pauses the loop (the canvas keeps the last frame). Idempotent. */
  stop(): void {
    this.running = false;
    if (this.handleKind === 'rvfc') this.video?.cancelVideoFrameCallback?.(this.handle);
    else if (this.handleKind === 'raf') cancelAnimationFrame(this.handle);
    this.handleKind = null;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The last frame's figures, or null before the first. */
  get lastFrame(): VideoFrameInfo | null {
    return this.lastInfo;
  }

  /** Smoothed faces of the last frame (main-thread mode; objects are rewritten per frame). */
  get faces(): readonly Face[] {
    return this.pipeline?.faces ?? this.lastInfo?.faceList ?? [];
  }

  /**
   * Renders one frame of `source` taken at `timestampMs` (strictly increasing; raised if not).
   * For apps that drive frames themselves (WebCodecs, canvas animations). The source stays the caller's.
   */
  async renderFrame(source: VideoSource, timestampMs: number): Promise<VideoFrameInfo> {
    this.open();
    return this.renderOne(source, timestampMs, performance.now());
  }

  /** RGBA pixels of the last rendered frame (read back from the GPU, or the 2D canvas). */
  async snapshot(): Promise<ImageData> {
    this.open();
    if (this.pipeline) return this.pipeline.snapshot();
    return this.request<ImageData>({ type: 'snapshot', id: this.nextId++ });
  }

  /** Stops the loop and frees the model, the GPU device and the worker. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    this.pipeline?.close();
    this.pipeline = null;
    if (this.worker) {
      this.worker.postMessage({ type: 'close' } satisfies ToWorker);
      const w = this.worker;
      setTimeout(() => w.terminate(), 1000);
      this.worker = null;
    }
    for (const p of this.pending.values()) p.reject(new FaceReshapeError('CLOSED', 'The video reshaper was closed.'));
    this.pending.clear();
  }

  private open(): void {
    if (this.closed) throw new FaceReshapeError('CLOSED', 'This VideoReshaper was closed; create a new one.');
  }

  private schedule(): void {
    if (!this.running || !this.video) return;
    const v = this.video;
    if (typeof v.requestVideoFrameCallback === 'function') {
      this.handleKind = 'rvfc';
      this.handle = v.requestVideoFrameCallback((now, meta) => this.tick(now, meta.captureTime));
    } else {
      this.handleKind = 'raf';
      this.handle = requestAnimationFrame((now) => {
        if (v.currentTime === this.lastVideoTime) return this.schedule();
        this.lastVideoTime = v.currentTime;
        this.tick(now, undefined);
      });
    }
  }

  private tick(now: number, captureTime: number | undefined): void {
    if (!this.running) return;
    const v = this.video!;
    this.schedule(); // next callback first: a slow frame must not delay the subscription
    if (v.readyState < 2 || !(v.videoWidth > 0)) return;
    if (this.busy) {
      this.dropped++;
      return;
    }
    this.renderOne(v, now, captureTime ?? now).catch((e: unknown) => this.fail(e));
  }

  private fail(e: unknown): void {
    const err = e instanceof FaceReshapeError ? e : new FaceReshapeError('SERVICE_INTERNAL_ERROR', e instanceof Error ? e.message : String(e), { cause: e });
    if (err.code === 'DEVICE_LOST' || err.code === 'CLOSED' || this.pipeline?.deviceLost) this.stop();
    if (this.onError) this.onError(err);
    else console.error('webgpu-face-reshape video:', err);
  }

  private finish(stats: FrameStats, start: number, capture: number, faces?: Face[]): VideoFrameInfo {
    const end = performance.now();
    if (this.lastFrameAt >= 0) {
      const dt = end - this.lastFrameAt;
      this.frameIntervalEma = this.frameIntervalEma > 0 ? this.frameIntervalEma + (dt - this.frameIntervalEma) / 30 : dt;
    }
    this.lastFrameAt = end;
    const info: VideoFrameInfo = {
      ...stats,
      fps: this.frameIntervalEma > 0 ? 1000 / this.frameIntervalEma : 0,
      latencyMs: end - Math.min(capture, start),
      dropped: this.dropped,
      faceList: faces,
    };
    this.lastInfo = info;
    this.onFrame?.(info);
    return info;
  }

  private async renderOne(source: VideoSource, timestampMs: number, capture: number): Promise<VideoFrameInfo> {
    const start = performance.now();
    this.busy = true;
    try {
      if (this.pipeline) {
        const stats = await this.pipeline.process(source, timestampMs);
        return this.finish(stats, start, capture, this.reportFaces ? copyFaces(this.pipeline.faces) : undefined);
      }
      const frame = await transferableFrame(source, timestampMs);
      const id = this.nextId++;
      return await new Promise<VideoFrameInfo>((resolve, reject) => {
        this.pending.set(id, { resolve: resolve as (v: never) => void, reject, start, capture });
        this.post({ type: 'frame', id, frame, timestampMs }, [frame]);
      });
    } finally {
      this.busy = false;
    }
  }

  private request<T>(msg: ToWorker & { id: number }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(msg.id, { resolve: resolve as (v: never) => void, reject, start: performance.now(), capture: performance.now() });
      this.post(msg);
    });
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    if (!this.worker) throw new FaceReshapeError('CLOSED', 'This VideoReshaper was closed; create a new one.');
    this.worker.postMessage(msg, transfer);
  }

  private onWorkerMessage(m: FromWorker): void {
    if (m.type === 'ready') return;
    const id = m.id;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (id !== undefined) this.pending.delete(id);
    if (m.type === 'error') {
      const err = new FaceReshapeError(m.error.code as FaceReshapeErrorCode, m.error.message);
      if (p) p.reject(err);
      else this.fail(err);
      return;
    }
    if (!p) return;
    if (m.type === 'stats') (p.resolve as (v: VideoFrameInfo) => void)(this.finish(m.stats, p.start, p.capture, m.faces));
    else if (m.type === 'snapshot') (p.resolve as (v: ImageData) => void)(m.image);
  }
}

function copyFaces(faces: readonly Face[]): Face[] {
  return faces.map((f) => ({ landmarks: f.landmarks.map((p) => [p[0], p[1], p[2]] as Face['landmarks'][number]), box: [...f.box] as Face['box'], pose: { ...f.pose }, confidence: f.confidence }));
}

/** A transferable copy of the frame for the worker; the caller's source is left alone. */
async function transferableFrame(source: VideoSource, timestampMs: number): Promise<VideoFrame | ImageBitmap> {
  if (typeof VideoFrame !== 'undefined') {
    if (source instanceof VideoFrame) return source.clone();
    if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) {
      return new VideoFrame(source, { timestamp: Math.round(timestampMs * 1000) });
    }
  }
  return createImageBitmap(source as ImageBitmapSource, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
}
