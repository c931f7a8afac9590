import type { Backend } from '../types.js';
import type { PresentPath, UploadPath } from './frame-renderer.js';

/** What the detect stage measured of one frame (see DetectStage). */
export interface DetectFigures {
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
}

/** Per-frame figures (milliseconds of wall time on the thread that ran each stage). */
export interface FrameStats extends DetectFigures {
  /** Frames rendered so far, this one included. */
  frame: number;
  /** Upload, warp and present (WebGPU: commands recorded and submitted; the GPU finishes asynchronously). */
  renderMs: number;
  /** detect + track + field + render: the work of this frame (in worker mode part of it overlaps other frames). */
  totalMs: number;
  backend: Backend;
  upload: UploadPath | 'cpu';
  present: PresentPath;
  /**
   * Worker mode: this frame's detection started while the frame before it was still being warped
   * (the render worker had not yet reported it done), i.e. the two stages overlapped. Main-thread
   * mode: always false.
   */
  overlapped: boolean;
}
