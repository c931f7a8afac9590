/**
 * The One Euro filter (Casiez, Roussel, Vogel, CHI 2012): an adaptive low-pass filter whose cutoff
 * rises with speed. At rest it smooths hard (cutoff `minCutoff`), so detection jitter is removed;
 * when the signal moves, the cutoff grows by `beta` × speed, so the output follows with little lag.
 *
 * This implementation filters a fixed-size vector of values (e.g. 478 landmarks × 3 coordinates)
 * sharing one timestamp, in place, without allocating after construction. Speed is divided by a
 * per-call `scale` (the face width in pixels for landmarks), so `beta` is in "scales per second"
 * and the same parameters work for a 100 px face and a 1000 px one.
 */

export interface OneEuroOptions {
  /** Cutoff frequency at rest, Hz (default 1). Lower: smoother at rest, more lag for slow drift. */
  minCutoff?: number;
  /** Speed coefficient (default 8, per scale unit per second). Higher: less lag when moving, more jitter. */
  beta?: number;
  /** Cutoff for the speed estimate itself, Hz (default 1). */
  dCutoff?: number;
}

export const ONE_EURO_DEFAULTS: Required<OneEuroOptions> = { minCutoff: 1, beta: 8, dCutoff: 1 };

/** Smoothing factor of an exponential filter with cutoff `cutoff` (Hz) at sample period `te` (s). */
export function smoothingFactor(te: number, cutoff: number): number {
  const r = 2 * Math.PI * cutoff * te;
  return r / (r + 1);
}

export class OneEuroFilter {
  readonly size: number;
  minCutoff: number;
  beta: number;
  dCutoff: number;
  private readonly prev: Float64Array;
  private readonly dPrev: Float64Array;
  private lastT = -Infinity;
  private primed = false;

  constructor(size: number, options: OneEuroOptions = {}) {
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`OneEuroFilter: size must be a positive integer, got ${size}`);
    this.size = size;
    this.prev = new Float64Array(size);
    this.dPrev = new Float64Array(size);
    this.minCutoff = ONE_EURO_DEFAULTS.minCutoff;
    this.beta = ONE_EURO_DEFAULTS.beta;
    this.dCutoff = ONE_EURO_DEFAULTS.dCutoff;
    this.setOptions(options);
  }

  setOptions(options: OneEuroOptions): void {
    const check = (name: string, v: number | undefined, min: number): number | undefined => {
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new RangeError(`OneEuroFilter: ${name} must be a finite number ≥ ${min}, got ${String(v)}`);
      return v;
    };
    this.minCutoff = check('minCutoff', options.minCutoff, 1e-6) ?? this.minCutoff;
    this.beta = check('beta', options.beta, 0) ?? this.beta;
    this.dCutoff = check('dCutoff', options.dCutoff, 1e-6) ?? this.dCutoff;
  }

  /** Forgets the history: the next sample passes through unchanged. */
  reset(): void {
    this.primed = false;
    this.lastT = -Infinity;
  }

  /**
   * Filters `values` (length ≥ size) taken at time `t` (seconds, increasing) into `out`
   * (may be `values` itself). `scale` divides the speed (see the class comment).
   * A sample at a time not after the previous one repeats the previous output.
   */
  filter(values: ArrayLike<number>, out: { [i: number]: number; length: number }, t: number, scale = 1): void {
    const n = this.size;
    const prev = this.prev;
    if (!this.primed) {
      for (let i = 0; i < n; i++) {
        prev[i] = values[i];
        this.dPrev[i] = 0;
        out[i] = values[i];
      }
      this.primed = true;
      this.lastT = t;
      return;
    }
    const te = t - this.lastT;
    if (!(te > 0)) {
      for (let i = 0; i < n; i++) out[i] = prev[i];
      return;
    }
    this.lastT = t;
    const aD = smoothingFactor(te, this.dCutoff);
    const invScale = scale > 0 ? 1 / scale : 1;
    const dPrev = this.dPrev;
    const twoPiTe = 2 * Math.PI * te;
    for (let i = 0; i < n; i++) {
      const x = values[i];
      const dx = (x - prev[i]) / te;
      const dHat = dPrev[i] + aD * (dx - dPrev[i]);
      dPrev[i] = dHat;
      const cutoff = this.minCutoff + this.beta * Math.abs(dHat) * invScale;
      const r = twoPiTe * cutoff;
      const a = r / (r + 1);
      const y = prev[i] + a * (x - prev[i]);
      prev[i] = y;
      out[i] = y;
    }
  }
}
