import type { NormalizedEdit } from '../../shapes/edits.js';
import type { Backend, Face } from '../../types.js';
import type { OneEuroOptions } from '../one-euro.js';
import type { FrameStats, PipelineOptions } from '../pipeline.js';

/** Messages between VideoReshaper (page) and the frame worker (src/worker/entry.ts). */
export type ToWorker =
  | { type: 'init'; canvas: OffscreenCanvas; options: Omit<PipelineOptions, 'beforeSmoothing'>; edits: NormalizedEdit[]; reportFaces: boolean }
  | { type: 'frame'; id: number; frame: VideoFrame | ImageBitmap; timestampMs: number }
  | { type: 'edits'; edits: NormalizedEdit[] }
  | { type: 'smoothing'; value: boolean | OneEuroOptions }
  | { type: 'snapshot'; id: number }
  | { type: 'close' };

export interface WorkerError {
  code: string;
  message: string;
}

export type FromWorker =
  | { type: 'ready'; backend: Backend }
  | { type: 'stats'; id: number; stats: FrameStats; faces?: Face[] }
  | { type: 'snapshot'; id: number; image: ImageData }
  | { type: 'error'; id?: number; error: WorkerError };
