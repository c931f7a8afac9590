import type { NormalizedEdit } from '../../shapes/edits.js';
import type { Backend, Face } from '../../types.js';
import type { DetectStageOptions, Detection } from '../detect-stage.js';
import type { FrameStats } from '../frame-stats.js';
import type { OneEuroOptions } from '../one-euro.js';
import type { RenderStageOptions } from '../render-stage.js';

/**
 * Messages of worker mode: the page (FrameWorkerClient) feeds frames to the detect worker
 * (detect-entry.ts), which hands each frame with its field to the render worker (render-entry.ts)
 * over a MessageChannel of their own; the render worker answers the page with the frame's figures.
 */

/** Page → detect worker. */
export type ToDetect =
  | { type: 'init'; options: Omit<DetectStageOptions, 'beforeSmoothing'>; edits: NormalizedEdit[]; reportFaces: boolean; port: MessagePort }
  /** What the render worker's renderer wants: a field plan (values computed on the GPU) or a built field. */
  | { type: 'renderer'; fieldOnGpu: boolean }
  | { type: 'frame'; id: number; frame: VideoFrame | ImageBitmap; timestampMs: number }
  | { type: 'edits'; edits: NormalizedEdit[] }
  | { type: 'smoothing'; value: boolean | OneEuroOptions }
  | { type: 'close' };

/** Page → render worker. */
export type ToRender =
  | { type: 'init'; canvas: OffscreenCanvas; options: RenderStageOptions; port: MessagePort }
  | { type: 'snapshot'; id: number }
  | { type: 'close' };

/** Detect worker → render worker: the frame and its field (the frame and the field's array transferred). */
export interface DetectToRender {
  type: 'frame';
  id: number;
  frame: VideoFrame | ImageBitmap;
  detection: Detection;
  faces?: Face[];
}

/** Render worker → detect worker: a frame is warped; `buffer` is its field's array, back for reuse. */
export interface RenderToDetect {
  type: 'rendered';
  buffer?: ArrayBuffer;
}

export interface WorkerError {
  code: string;
  message: string;
}

/** Detect worker → page (a frame's answer comes from the render worker, or its error from here). */
export type FromDetect = { type: 'ready' } | { type: 'error'; id?: number; error: WorkerError };

/** Render worker → page. */
export type FromRender =
  | { type: 'ready'; backend: Backend; fieldOnGpu: boolean }
  | { type: 'stats'; id: number; stats: FrameStats; faces?: Face[] }
  | { type: 'snapshot'; id: number; image: ImageData }
  | { type: 'error'; id?: number; error: WorkerError };
