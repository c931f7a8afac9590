import type { FaceGeometry, Vec2 } from './frame.js';

/**
 * The one warp primitive: a local affine motion with a smooth compact falloff.
 *
 *   forward motion of content at p:  t(p) = (T + A (p − c)) · w(ρ)
 *   ρ² = (e1·(p − c) / rx)² + (e2·(p − c) / ry)²      (an ellipse in the face's axes e1, e2)
 *   w(ρ) = 1 for ρ ≤ inner, (1 − s²)³ with s = (ρ − inner)/(1 − inner) beyond, 0 for ρ ≥ 1
 *
 * `move` (A = 0), `scale` (A diagonal in face axes: bulge / pinch) and `rotate` (A = R − I) are
 * all this one form, so the field builder has a single tight loop and new shapes never need new
 * evaluation code. w is C² at ρ = 1 (no kink at the edge of the influence) and C¹ at the plateau
 * edge; the plateau moves a feature rigidly (a mouth moved up keeps its size). The influence is
 * exactly the ellipse, so `bounds` is a hard bound used for locality and for the field's regions.
 * All amounts are in image pixels; shape functions scale them by strength.
 */
export interface Primitive {
  cx: number;
  cy: number;
  /** Unit axes of the ellipse in image coordinates (the face's ux, uy). */
  e1x: number;
  e1y: number;
  e2x: number;
  e2y: number;
  rx: number;
  ry: number;
  inner: number;
  tx: number;
  ty: number;
  a11: number;
  a12: number;
  a21: number;
  a22: number;
  /**
   * Set on lateral compressions toward the face's midline (pairBand, squeeze): the compression
   * rate |k| (motion k · (um − u) inside the plateau). The field builder saturates the sum of
   * these per face (see build.ts `saturateSqueezes`): one edit keeps its full effect, several
   * contour edits together are limited smoothly instead of stacking into a fold.
   */
  squeeze?: number;
}

/** Falloff weight at squared normalised radius rho2. */
export function falloff(rho2: number, inner: number): number {
  if (rho2 >= 1) return 0;
  if (inner <= 0) {
    const q = 1 - rho2;
    return q * q * q;
  }
  const rho = Math.sqrt(rho2);
  if (rho <= inner) return 1;
  const s = (rho - inner) / (1 - inner);
  const q = 1 - s * s;
  return q * q * q;
}

/** General form. `t` and `a` are given in face axes (du, dv) and converted to image axes. */
export function affine(g: FaceGeometry, c: Vec2, t: Vec2, a: [number, number, number, number], rx: number, ry: number, inner = 0): Primitive {
  const [e1x, e1y] = g.ux;
  const [e2x, e2y] = g.uy;
  // A_img = B A_face Bᵀ with B = [e1 e2] (orthonormal, possibly a reflection).
  const [f11, f12, f21, f22] = a;
  const m11 = f11 * e1x + f12 * e2x; // (A_face Bᵀ) row 1, col x
  const m12 = f11 * e1y + f12 * e2y;
  const m21 = f21 * e1x + f22 * e2x;
  const m22 = f21 * e1y + f22 * e2y;
  return {
    cx: c[0],
    cy: c[1],
    e1x,
    e1y,
    e2x,
    e2y,
    rx: Math.max(rx, 1e-3),
    ry: Math.max(ry, 1e-3),
    inner: Math.min(Math.max(inner, 0), 0.9),
    tx: e1x * t[0] + e2x * t[1],
    ty: e1y * t[0] + e2y * t[1],
    a11: e1x * m11 + e2x * m21,
    a12: e1x * m12 + e2x * m22,
    a21: e1y * m11 + e2y * m21,
    a22: e1y * m12 + e2y * m22,
  };
}

/** Translate content near c by (du, dv) face-axis pixels. */
export function move(g: FaceGeometry, c: Vec2, du: number, dv: number, rx: number, ry: number, inner = 0): Primitive {
  return affine(g, c, [du, dv], [0, 0, 0, 0], rx, ry, inner);
}

/** Scale content about c by (1 + kx) across and (1 + ky) down the face: k > 0 bulges, k < 0 pinches. */
export function scale(g: FaceGeometry, c: Vec2, kx: number, ky: number, rx: number, ry: number, inner = 0): Primitive {
  return affine(g, c, [0, 0], [kx, 0, 0, ky], rx, ry, inner);
}

/**
 * Rotate content about c by `angle` radians, positive turning +u toward +v (down the face).
 * Linearised (A = [[0, −a], [a, 0]]) so that opposite strengths are exact opposites; for the few
 * degrees shapes use, the area change (det = 1 + a²) is ≈ 1.1 % at 6° (eye_angle_1).
 */
export function rotate(g: FaceGeometry, c: Vec2, angle: number, rx: number, ry: number, inner = 0): Primitive {
  return affine(g, c, [0, 0], [0, -angle, angle, 0], rx, ry, inner);
}

/**
 * Move landmarks a and b (a symmetric pair) toward the pair's own midpoint by `k` of their
 * offset from it (k < 0 moves them apart). Using the pair's midpoint makes the edit symmetric in
 * 3D under yaw; radii are in units of face width, the across radius foreshortened per side.
 */
export function pairInward(g: FaceGeometry, a: number, b: number, k: number, rx: number, ry: number, inner = 0): Primitive[] {
  if (k === 0) return [];
  const um = (g.u(a) + g.u(b)) / 2;
  const W = g.width;
  return [a, b].map((i) => move(g, g.pt(i), k * (um - g.u(i)), 0, rx * W * g.sideScale(i), ry * W, inner));
}

/**
 * Compress a lateral band of the face toward the midline of a symmetric landmark set: one
 * primitive per side, centred on the mean of that side's landmarks (`a` on one side, `b` on the
 * other), shifted `dv` face widths down the face. Inside each ellipse content moves by
 * k · (um − u), i.e. a horizontal scale by (1 − k) about the pair's own midline um (so the
 * edit is symmetric in 3D under yaw and nothing on the midline moves); the falloff spreads the
 * compensating stretch over the background beyond the contour. Radii are in face widths, the
 * across radius foreshortened per side. k < 0 widens.
 *
 * Why a band and not just the silhouette: the landmark model infers the contour from the whole
 * side of the face (cheek, ear, jaw together), so moving only the edge pixels moves the detected
 * contour by a fraction of the pixel motion; moving the band moves it almost fully.
 */
export function pairBand(g: FaceGeometry, a: readonly number[], b: readonly number[], k: number, rx: number, ry: number, inner = 0, dv = 0): Primitive[] {
  if (k === 0) return [];
  const mean = (ids: readonly number[], f: (i: number) => number) => ids.reduce((s, i) => s + f(i), 0) / ids.length;
  const sides: Array<[number, number, number]> = [
    [mean(a, (i) => g.u(i)), mean(a, (i) => g.v(i)), a[0]],
    [mean(b, (i) => g.u(i)), mean(b, (i) => g.v(i)), b[0]],
  ];
  const um = (sides[0][0] + sides[1][0]) / 2;
  const W = g.width;
  // Radii stay within 0.45 W so that the builder's locality clamp (which shrinks both radii
  // together) never steepens the near side of a turned face.
  const cap = (r: number) => Math.min(r, 0.45) * W;
  // On a strongly turned face the far side's radius is foreshortened while its motion is not;
  // keep the falloff at least ~4.3 × the motion wide (slope of (1 − s²)³ ≤ 1.72, so the falloff
  // adds at most 0.4 to the displacement gradient) so the band never folds there.
  return sides.map(([u, v, i]) => {
    const t = k * (um - u);
    const rxs = Math.max(cap(rx * g.sideScale(i)), Math.min((4.3 * Math.abs(t)) / (1 - inner), cap(1)));
    return { ...affine(g, g.toImage(u, v + dv * W), [t, 0], [-k, 0, 0, 0], rxs, cap(ry), inner), squeeze: Math.abs(k) };
  });
}

/**
 * Horizontal scale by (1 − k) about the point c (on the midline for a symmetric edit), marked as a
 * lateral compression so that it saturates together with the side bands (see `Primitive.squeeze`).
 */
export function squeeze(g: FaceGeometry, c: Vec2, k: number, rx: number, ry: number, inner = 0): Primitive[] {
  if (k === 0) return [];
  return [{ ...scale(g, c, -k, 0, rx, ry, inner), squeeze: Math.abs(k) }];
}

/** Forward motion at (x, y), added into out. Reference evaluation (the builder inlines the same maths). */
export function addPrimitive(p: Primitive, x: number, y: number, out: { dx: number; dy: number }): void {
  const qx = x - p.cx;
  const qy = y - p.cy;
  const a = (p.e1x * qx + p.e1y * qy) / p.rx;
  const b = (p.e2x * qx + p.e2y * qy) / p.ry;
  const w = falloff(a * a + b * b, p.inner);
  if (w === 0) return;
  out.dx += (p.tx + p.a11 * qx + p.a12 * qy) * w;
  out.dy += (p.ty + p.a21 * qx + p.a22 * qy) * w;
}

/** A shape: a small pure function of the face and a signed strength in [-1, 1]; strength 0 returns []. */
export type ShapeFn = (face: FaceGeometry, strength: number) => Primitive[];
