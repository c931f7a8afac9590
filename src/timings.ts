/**
 * Where one reshape() spent its time, in ms of wall clock (performance.now()), stage by stage. The
 * stages follow one another, so they sum to (nearly) the call's whole time.
 */
export interface ReshapeTimings {
  /** Header checks and decoding of encoded bytes (a still of a video); ~0 for a decoded source. On the CPU backend also reading its pixels out. */
  decode: number;
  /** Landmark detection (0 when `faces` were given). */
  detect: number;
  /** The displacement field on the CPU: built, or only planned where the GPU computes it. */
  field: number;
  /**
   * Queueing the pixels' copy to the GPU (reading them out first where the GPU is emulated); the
   * copy itself runs in the GPU process during detection, and what is left of it shows in `warp`.
   * 0 on the CPU backend.
   */
  upload: number;
  /** The warp until the GPU is done (with the field's compute passes where the GPU builds it), or the CPU warp. */
  warp: number;
  /** GPU → CPU copy of the warped pixels (0 on the CPU backend). */
  readback: number;
  /** Turning the pixels into the output asked for: an ImageBitmap, a canvas, a PNG/JPEG Blob. */
  encode: number;
  /** The whole call, from entering reshape() (queueing behind an earlier call excluded). */
  total: number;
}

export type Stage = Exclude<keyof ReshapeTimings, 'total'>;

/** Ends the current stage and names it; called once as each stage finishes. */
export type Lap = (stage: Stage) => void;

/** A stopwatch that books the time since its last lap to the stage named. */
export class StageClock {
  private readonly start = performance.now();
  private last = this.start;
  private readonly ms: ReshapeTimings = { decode: 0, detect: 0, field: 0, upload: 0, warp: 0, readback: 0, encode: 0, total: 0 };

  readonly lap: Lap = (stage) => {
    const now = performance.now();
    this.ms[stage] += now - this.last;
    this.last = now;
  };

  result(): ReshapeTimings {
    return { ...this.ms, total: performance.now() - this.start };
  }
}
