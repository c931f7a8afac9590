import { FaceReshapeError } from '../errors.js';
import { buildField } from '../field/build.js';
import { planField, type FieldItem, type FieldPlan } from '../field/plan.js';
import { FieldScratch } from '../field/scratch.js';
import type { DisplacementField } from '../field/types.js';
import { LandmarkDetector, type LandmarkDetectorOptions } from '../landmarks/detector.js';
import type { NormalizedEdit } from '../shapes/edits.js';
import { sizeOf, type DecodedSource, type Face } from '../types.js';
import type { VideoSource } from './frame-renderer.js';
import type { DetectFigures } from './frame-stats.js';
import type { OneEuroOptions } from './one-euro.js';
import { FaceTracker, type TrackedFace } from './tracker.js';

export interface DetectStageOptions extends Omit<LandmarkDetectorOptions, 'runningMode' | 'tiling'> {
  /** true (default), false, or One Euro parameters. */
  smoothing?: boolean | OneEuroOptions;
  /** @internal Test hook: sees (and may change in place) the raw detections of a frame before smoothing. */
  beforeSmoothing?: (faces: Face[], timestampMs: number) => void;
}

/** What the detect stage made of one frame: its field (or field plan) and its figures. */
export interface Detection extends DetectFigures {
  /** The built field ('cpu'), or its plan ('gpu': the renderer computes the values in its GPU work). */
  warp: DisplacementField | FieldPlan;
  /** Set by the detect worker: see FrameStats.overlapped. */
  overlapped?: boolean;
}

function smoothingOptions(s: boolean | OneEuroOptions | undefined): OneEuroOptions & { smoothing: boolean } {
  if (s === false) return { smoothing: false };
  if (s === true || s === undefined) return { smoothing: true };
  return { ...s, smoothing: true };
}

/**
 * The first half of a video frame: landmarks (VIDEO mode) → track/smooth → field (built on the CPU,
 * or only planned where the renderer computes it on the GPU). FramePipeline runs it on the page's
 * thread; in worker mode the detect worker runs it while the render worker warps the frame before.
 * Everything that can be is created once: the detector, the tracker's state, the field's arrays.
 */
export class DetectStage {
  private detector: LandmarkDetector | null;
  private readonly tracker: FaceTracker;
  private readonly items: FieldItem[] = [];
  private readonly itemPool: { face: TrackedFace; edits: NormalizedEdit[] }[] = [];
  private readonly beforeSmoothing: DetectStageOptions['beforeSmoothing'];
  private edits: NormalizedEdit[] = [];
  private lastTs = -Infinity;
  /** Faces of the last frame (smoothed; objects rewritten every frame). */
  faces: readonly TrackedFace[] = [];

  private constructor(
    detector: LandmarkDetector,
    options: DetectStageOptions,
    /** Where built fields' arrays come from (see FieldScratch; the worker's hands them over to the render worker). */
    private readonly scratch: FieldScratch,
  ) {
    this.detector = detector;
    this.beforeSmoothing = options.beforeSmoothing;
    const maxFaces = options.maxFaces ?? 4;
    this.tracker = new FaceTracker({ maxFaces, ...smoothingOptions(options.smoothing) });
    for (let k = 0; k < maxFaces; k++) this.itemPool.push({ face: null as unknown as TrackedFace, edits: this.edits });
  }

  static async create(options: DetectStageOptions = {}, scratch: FieldScratch = new FieldScratch()): Promise<DetectStage> {
    const { smoothing: _s, beforeSmoothing: _h, ...detectorOptions } = options;
    const detector = await LandmarkDetector.create({ ...detectorOptions, runningMode: 'VIDEO', tiling: 'off' });
    return new DetectStage(detector, options, scratch);
  }

  /** Replaces the edits (normalized, zero strengths dropped) from the next frame on. */
  setEdits(edits: NormalizedEdit[]): void {
    this.edits = edits;
    for (const it of this.itemPool) it.edits = edits;
  }

  setSmoothing(s: boolean | OneEuroOptions): void {
    this.tracker.setOptions(smoothingOptions(s));
  }

  /**
   * Landmarks, smoothing and field of one frame. `timestampMs` is raised to keep detector
   * timestamps strictly increasing. `fieldOnGpu`: plan the field only (see FrameRenderer.fieldOnGpu).
   * A built field lives in the scratch's arrays: valid until the next frame.
   */
  async detect(source: VideoSource, timestampMs: number, fieldOnGpu: boolean): Promise<Detection> {
    if (!this.detector) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
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
    const warp = fieldOnGpu ? planField(width, height, items) : buildField(width, height, items, { scratch: this.scratch });
    const t3 = performance.now();
    return {
      timestampMs: ts,
      width,
      height,
      faces: faces.length,
      detectMs: t1 - t0,
      trackMs: t2 - t1,
      fieldMs: t3 - t2,
      field: fieldOnGpu ? 'gpu' : 'cpu',
      warp,
    };
  }

  close(): void {
    this.detector?.close();
    this.detector = null;
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
