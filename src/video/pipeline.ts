import { FaceReshapeError } from '../errors.js';
import type { NormalizedEdit } from '../shapes/edits.js';
import type { Backend } from '../types.js';
import { DetectStage, type DetectStageOptions } from './detect-stage.js';
import type { PresentPath, VideoSource } from './frame-renderer.js';
import type { FrameStats } from './frame-stats.js';
import type { OneEuroOptions } from './one-euro.js';
import { RenderStage, type RenderStageOptions } from './render-stage.js';
import type { TrackedFace } from './tracker.js';

export type { PresentPath, UploadPath, VideoSource } from './frame-renderer.js';
export type { FrameStats } from './frame-stats.js';

export interface PipelineOptions extends DetectStageOptions, RenderStageOptions {}

/** The render stage's options out of the pipeline's (the rest are the detect stage's). */
export function splitOptions<T extends PipelineOptions>(options: T): { render: RenderStageOptions; detect: Omit<T, keyof RenderStageOptions> } {
  const { backend, upload, present, fieldBuild, ...detect } = options;
  return { render: { backend, upload, present, fieldBuild }, detect };
}

/**
 * Detect → track/smooth → field (DetectStage) → render (RenderStage), for one output canvas, one
 * frame after the other, on this thread. In worker mode the detect worker and the render worker
 * run the very same two stages, so both paths give the same pixels.
 */
export class FramePipeline {
  readonly backend: Backend;
  readonly present: PresentPath;
  private closed = false;
  /** The frame in progress (calls that overlap wait for it: frames are taken in order). */
  private busy: Promise<unknown> = Promise.resolve();
  private pending = 0;

  private constructor(
    private readonly detectStage: DetectStage,
    private readonly renderStage: RenderStage,
  ) {
    this.backend = renderStage.backend;
    this.present = renderStage.present;
  }

  static async create(canvas: HTMLCanvasElement | OffscreenCanvas, options: PipelineOptions = {}): Promise<FramePipeline> {
    const { render, detect } = splitOptions(options);
    const renderStage = await RenderStage.create(canvas, render);
    try {
      return new FramePipeline(await DetectStage.create(detect), renderStage);
    } catch (e) {
      renderStage.close();
      throw e;
    }
  }

  /** Faces of the last frame (smoothed; objects rewritten every frame). */
  get faces(): readonly TrackedFace[] {
    return this.detectStage.faces;
  }

  /** Whether a frame handed over now would start at once (the FrameLoop drops frames otherwise). */
  get accepting(): boolean {
    return this.pending === 0;
  }

  /** Replaces the edits (normalized, zero strengths dropped) from the next frame on. */
  setEdits(edits: NormalizedEdit[]): void {
    this.detectStage.setEdits(edits);
  }

  setSmoothing(s: boolean | OneEuroOptions): void {
    this.detectStage.setSmoothing(s);
  }

  /** Renders one frame into the canvas. `timestampMs` is raised to keep detector timestamps strictly increasing. */
  process(source: VideoSource, timestampMs: number): Promise<FrameStats> {
    this.pending++;
    const run = this.busy.then(() => this.processNow(source, timestampMs));
    this.busy = run.catch(() => {}).finally(() => this.pending--);
    return run;
  }

  /** The pixels of the last frame rendered (RGBA). */
  snapshot(): Promise<ImageData> {
    if (this.closed) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
    return this.renderStage.snapshot();
  }

  get deviceLost(): boolean {
    return this.renderStage.deviceLost;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detectStage.close();
    this.renderStage.close();
  }

  private async processNow(source: VideoSource, timestampMs: number): Promise<FrameStats> {
    if (this.closed) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
    const detection = await this.detectStage.detect(source, timestampMs, this.renderStage.fieldOnGpu);
    return this.renderStage.render(source, detection);
  }
}
