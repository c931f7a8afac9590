import type { Face, Point3 } from '../types.js';

export type Vec2 = [number, number];

/** Landmarks on the face's midline, top to bottom, that lie near the face plane (see `mid`). */
const MIDLINE = [10, 168, 1, 152] as const;

/**
 * The face's own frame, built once per face from its landmarks, in which every shape is
 * written. Why landmarks and not `pose`: the landmarks are what the edits must move, so
 * axes taken from them follow roll exactly and stay consistent with the measurements.
 *
 * - `ux` runs across the face from the subject's right (33, 234) to their left (263, 454),
 *   following roll; `uy` is perpendicular and points down the face (toward 152). For a
 *   mirrored image the pair is left-handed; shapes only use face coordinates, so they stay right.
 * - Face coordinates (u, v) of an image point p: u = ux·(p − o), v = uy·(p − o), o = landmark 168.
 * - Yaw: a symmetric landmark pair projects symmetrically about its own image midpoint
 *   (orthographic camera), so horizontal edits move each member of a pair toward the pair's
 *   midpoint by the same fraction of its own offset. What yaw does change is the apparent size
 *   of each side: `sideScale` (each side's half-width from the midline through 10/168/1/152,
 *   relative to the mean) foreshortens falloff radii on the far side.
 */
export class FaceGeometry {
  readonly n: number;
  /** Image x, y of every landmark. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly ux: Vec2;
  readonly uy: Vec2;
  readonly ox: number;
  readonly oy: number;
  /** Face width d(234, 454) in pixels: the unit of every radius and the locality bound. */
  readonly width: number;
  /** Face height d(10, 152) in pixels. */
  readonly height: number;
  /** Half-widths at cheek level on the side of negative / positive u, measured from the midline. */
  readonly halfNeg: number;
  readonly halfPos: number;
  private readonly midV: Float64Array;
  private readonly midU: Float64Array;

  constructor(landmarks: ArrayLike<Point3 | readonly number[]>) {
    const n = landmarks.length;
    if (n < 468) throw new RangeError(`FaceGeometry needs the 468/478 face-mesh landmarks, got ${n}`);
    this.n = n;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.x[i] = landmarks[i][0];
      this.y[i] = landmarks[i][1];
    }
    // Across-face axis: eye corners and cheek contour together are robust to expression.
    let ax = this.x[263] - this.x[33] + (this.x[454] - this.x[234]) + (this.x[362] - this.x[133]);
    let ay = this.y[263] - this.y[33] + (this.y[454] - this.y[234]) + (this.y[362] - this.y[133]);
    const al = Math.hypot(ax, ay) || 1;
    ax /= al;
    ay /= al;
    let bx = -ay;
    let by = ax;
    if (bx * (this.x[152] - this.x[10]) + by * (this.y[152] - this.y[10]) < 0) {
      bx = -bx;
      by = -by;
    }
    this.ux = [ax, ay];
    this.uy = [bx, by];
    this.ox = this.x[168];
    this.oy = this.y[168];
    this.width = this.dist(234, 454);
    this.height = this.dist(10, 152);
    this.midV = new Float64Array(MIDLINE.length);
    this.midU = new Float64Array(MIDLINE.length);
    MIDLINE.forEach((i, k) => {
      this.midU[k] = this.u(i);
      this.midV[k] = this.v(i);
    });
    const l = Math.min(this.u(234), this.u(454));
    const r = Math.max(this.u(234), this.u(454));
    const vc = (this.v(234) + this.v(454)) / 2;
    const m = this.mid(vc);
    // Guard against degenerate detections (profile views): keep each side at least 20 % of the width.
    const w = Math.max(r - l, 1e-6);
    this.halfNeg = Math.max(m - l, 0.2 * w);
    this.halfPos = Math.max(r - m, 0.2 * w);
  }

  static from(face: FaceGeometry | Face | { landmarks: ArrayLike<Point3 | readonly number[]> }): FaceGeometry {
    return face instanceof FaceGeometry ? face : new FaceGeometry(face.landmarks);
  }

  /** Image position of landmark i. */
  pt(i: number): Vec2 {
    return [this.x[i], this.y[i]];
  }
  u(i: number): number {
    return this.ux[0] * (this.x[i] - this.ox) + this.ux[1] * (this.y[i] - this.oy);
  }
  v(i: number): number {
    return this.uy[0] * (this.x[i] - this.ox) + this.uy[1] * (this.y[i] - this.oy);
  }
  dist(a: number, b: number): number {
    return Math.hypot(this.x[a] - this.x[b], this.y[a] - this.y[b]);
  }
  /** Face coordinates of an image point. */
  toFace(x: number, y: number): Vec2 {
    const dx = x - this.ox;
    const dy = y - this.oy;
    return [this.ux[0] * dx + this.ux[1] * dy, this.uy[0] * dx + this.uy[1] * dy];
  }
  /** Image point of face coordinates. */
  toImage(u: number, v: number): Vec2 {
    return [this.ox + this.ux[0] * u + this.uy[0] * v, this.oy + this.ux[1] * u + this.uy[1] * v];
  }
  /** u of the facial midline at height v (piecewise linear through 10, 168, 1, 152; clamped at the ends). */
  mid(v: number): number {
    const V = this.midV;
    const U = this.midU;
    const k = V.length - 1;
    if (v <= V[0]) return U[0];
    if (v >= V[k]) return U[k];
    for (let i = 0; i < k; i++) {
      if (v <= V[i + 1]) {
        const t = (v - V[i]) / (V[i + 1] - V[i] || 1);
        return U[i] + t * (U[i + 1] - U[i]);
      }
    }
    return U[k];
  }
  /** Foreshortening of the side a point at face coordinate (u, v) lies on: ~1 frontal, < 1 on the far side of a turned face. */
  sideScaleAt(u: number, v: number): number {
    const mean = (this.halfNeg + this.halfPos) / 2;
    return (u < this.mid(v) ? this.halfNeg : this.halfPos) / mean;
  }
  /** sideScaleAt for landmark i. */
  sideScale(i: number): number {
    return this.sideScaleAt(this.u(i), this.v(i));
  }
  /** Mean image position of some landmarks. */
  centroid(ids: readonly number[]): Vec2 {
    let sx = 0;
    let sy = 0;
    for (const i of ids) {
      sx += this.x[i];
      sy += this.y[i];
    }
    return [sx / ids.length, sy / ids.length];
  }
}
