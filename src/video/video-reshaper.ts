import { normalizeEdits, type Edit, type EditRequest, type NormalizedEdit } from '../shapes/edits.js';
import { FaceReshapeError } from '../errors.js';
import { modelUrlOf, wasmFilesetOf } from '../landmarks/assets.js';
import type { Backend, Face } from '../types.js';
import { FrameLoop } from './frame-loop.js';
import type { OneEuroOptions } from './one-euro.js';
import { FramePipeline, type FrameStats, type PipelineOptions, type VideoSource } from './pipeline.js';
import { copyFaces } from './tracker.js';
import { FrameWorkerClient } from './worker-client.js';

export type { FrameStats, VideoSource } from './pipeline.js';

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
  /** Output. Sized to the video frames. With `worker: true` its control moves to the render worker for good. */
  canvas: HTMLCanvasElement;
  /** The video to reshape continuously (camera or file). Optional if you call renderFrame() yourself. */
  video?: HTMLVideoElement;
  /** Edits applied to every face, changeable with setEdits(). Default: none (frames pass through). */
  edits?: EditRequest | readonly Edit[];
  /**
   * Run detection and warping in two Web Workers (the warp drawing into an OffscreenCanvas): the
   * page stays responsive, and frame n+1 is detected while frame n is warped. Default false.
   */
  worker?: boolean;
  /** Start the loop at once when `video` is given (default true). */
  autoStart?: boolean;
  /** Called after every rendered frame. */
  onFrame?: (info: VideoFrameInfo) => void;
  /** Called when a frame fails (the loop goes on; DEVICE_LOST, DETECTOR_LOST and CLOSED stop it). */
  onError?: (error: FaceReshapeError) => void;
  /** Include copies of the smoothed landmarks in onFrame's `faceList` (for overlays). Default false. */
  reportFaces?: boolean;
  /** @internal Test hook, main-thread mode only: sees (and may change) raw detections before smoothing. */
  beforeSmoothing?: PipelineOptions['beforeSmoothing'];
}

function toEditList(e: EditRequest | readonly Edit[] | undefined): NormalizedEdit[] {
  if (e === undefined) return [];
  return normalizeEdits(Array.isArray(e) ? { edits: e as readonly Edit[] } : (e as EditRequest));
}

function absolute(url: string): string {
  const base = typeof document !== 'undefined' ? document.baseURI : self.location.href;
  return new URL(url, base).href;
}

/** What renders the frames: the pipeline on this thread, or its two stages in two workers. */
type Frames = Pick<FramePipeline, 'backend' | 'deviceLost' | 'accepting' | 'process' | 'setEdits' | 'setSmoothing' | 'snapshot' | 'close'> & {
  readonly faces: readonly Face[];
};

/**
 * Real-time reshaping of a <video> (camera or file) into a canvas: landmarks in VIDEO running
 * mode, per-face One Euro smoothing with identity tracking, one warp per frame. Create with
 * `await VideoReshaper.create({ video, canvas, edits })`; change edits any time with setEdits();
 * stop() pauses, close() frees everything (both idempotent).
 *
 * The frames are rendered by a FramePipeline on this thread, or with `worker: true` by the same
 * two stages in a detect worker and a render worker (FrameWorkerClient), overlapped; a FrameLoop
 * feeds it the video's frames.
 */
export class VideoReshaper {
  readonly backend: Backend;
  readonly mode: 'main' | 'worker';
  readonly canvas: HTMLCanvasElement;
  private frames: Frames | null;
  private readonly loop: FrameLoop | null;
  private readonly onFrame?: (info: VideoFrameInfo) => void;
  private readonly onError?: (error: FaceReshapeError) => void;
  private readonly reportFaces: boolean;
  private closed = false;
  private lastFrameAt = -1;
  private frameIntervalEma = 0;
  private lastInfo: VideoFrameInfo | null = null;

  private constructor(options: VideoReshaperOptions, frames: Frames, mode: 'main' | 'worker') {
    this.canvas = options.canvas;
    this.frames = frames;
    this.backend = frames.backend;
    this.mode = mode;
    this.onFrame = options.onFrame;
    this.onError = options.onError;
    this.reportFaces = options.reportFaces ?? false;
    this.loop = options.video
      ? new FrameLoop(
          options.video,
          (v, now, capture) => this.renderOne(v, now, capture),
          (e) => this.fail(e),
          () => this.frames?.accepting ?? false,
        )
      : null;
  }

  /** Loads the model, sets up the GPU (or the CPU warp) and, with a `video`, starts the loop. */
  static async create(options: VideoReshaperOptions): Promise<VideoReshaper> {
    if (!options || !(typeof HTMLCanvasElement !== 'undefined' && options.canvas instanceof HTMLCanvasElement)) {
      throw new FaceReshapeError('MISSING_ARGUMENT', 'VideoReshaper.create() needs `canvas`: an HTMLCanvasElement to draw into.');
    }
    const edits = toEditList(options.edits);
    const { canvas, video, edits: _e, worker: useWorker, autoStart, onFrame: _f, onError: _r, reportFaces, ...pipeOpts } = options;
    let vr: VideoReshaper;
    if (useWorker) {
      const { beforeSmoothing: _h, ...rest } = pipeOpts;
      // The worker starts from a blob URL: give it absolute asset URLs.
      const files = wasmFilesetOf(rest);
      const model = modelUrlOf(rest);
      const workerOpts = {
        ...rest,
        wasmFileset: { wasmLoaderPath: absolute(files.wasmLoaderPath), wasmBinaryPath: absolute(files.wasmBinaryPath) },
        ...(model === null ? {} : { modelAssetPath: absolute(model) }),
      };
      let self: VideoReshaper | null = null;
      const client = await FrameWorkerClient.create(canvas, workerOpts, edits, reportFaces ?? false, (e) => self?.fail(e), () => self?.stop());
      vr = self = new VideoReshaper(options, client, 'worker');
    } else {
      const pipeline = await FramePipeline.create(canvas, pipeOpts);
      pipeline.setEdits(edits);
      vr = new VideoReshaper(options, pipeline, 'main');
    }
    if (video && (autoStart ?? true)) vr.start();
    return vr;
  }

  /** Replaces the edits from the next frame on (one `{ shape, strength }`, `{ edits }` or an array of edits). */
  setEdits(edits: EditRequest | readonly Edit[]): void {
    const list = toEditList(edits);
    this.open().setEdits(list);
  }

  /** Turns landmark smoothing on/off or changes its One Euro parameters. */
  setSmoothing(value: boolean | OneEuroOptions): void {
    this.open().setSmoothing(value);
  }

  /** Starts (or resumes) reshaping the video given to create(). */
  start(): void {
    this.open();
    if (!this.loop) throw new FaceReshapeError('MISSING_ARGUMENT', 'start() needs the `video` option; or call renderFrame() per frame.');
    this.loop.start();
  }

  /** Pauses the loop (the canvas keeps the last frame). Idempotent. */
  stop(): void {
    this.loop?.stop();
  }

  get isRunning(): boolean {
    return this.loop?.isRunning ?? false;
  }

  /** The last frame's figures, or null before the first. */
  get lastFrame(): VideoFrameInfo | null {
    return this.lastInfo;
  }

  /** Smoothed faces of the last frame (main-thread mode: objects rewritten per frame). */
  get faces(): readonly Face[] {
    return this.frames?.faces ?? [];
  }

  /**
   * Renders one frame of `source` taken at `timestampMs` (strictly increasing; raised if not).
   * For apps that drive frames themselves (WebCodecs, canvas animations). The source stays the caller's.
   * Calls may overlap: frames are taken in call order and each promise resolves once its frame is
   * on the canvas. In worker mode the next frame's detection then runs during this one's warp (call
   * again before awaiting; the source is copied at the call). On the main thread they run one after
   * the other, so keep the source unchanged until its promise settles.
   */
  async renderFrame(source: VideoSource, timestampMs: number): Promise<VideoFrameInfo> {
    this.open();
    return this.renderOne(source, timestampMs, performance.now());
  }

  /** RGBA pixels of the last rendered frame (read back from the GPU, or the 2D canvas). */
  async snapshot(): Promise<ImageData> {
    return this.open().snapshot();
  }

  /** Stops the loop and frees the model, the GPU device and the workers; open calls fail with CLOSED. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    this.frames?.close();
    this.frames = null;
  }

  private open(): Frames {
    if (this.closed || !this.frames) throw new FaceReshapeError('CLOSED', 'This VideoReshaper was closed; create a new one.');
    return this.frames;
  }

  private async renderOne(source: VideoSource, timestampMs: number, capture: number): Promise<VideoFrameInfo> {
    const start = performance.now();
    const frames = this.open();
    const stats = await frames.process(source, timestampMs);
    return this.finish(stats, start, capture, this.reportFaces ? copyFaces(frames.faces) : undefined);
  }

  private fail(e: unknown): void {
    const err = e instanceof FaceReshapeError ? e : new FaceReshapeError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
    // Frames of the loop that close() cut short (worker mode: still in the workers) are no news to the caller.
    if (this.closed && err.code === 'CLOSED') return;
    // What cannot be retried frame by frame stops the loop; onError says why (a new VideoReshaper recovers).
    if (err.code === 'DEVICE_LOST' || err.code === 'DETECTOR_LOST' || err.code === 'CLOSED' || this.frames?.deviceLost) this.stop();
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
      dropped: this.loop?.dropped ?? 0,
      faceList: faces,
    };
    this.lastInfo = info;
    this.onFrame?.(info);
    return info;
  }
}
