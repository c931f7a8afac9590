import { describe, expect, it } from 'vitest';
import { greyWindow, trackPoints, type Grey } from '../support/flow';

/**
 * The pixel-motion measurement of contract section 3 (test/support/flow.ts) on images whose true
 * motion is known: a smooth random texture rendered analytically before and after a shift and a
 * scale, so the expected position of every point is exact (no resampling error).
 */

/** Sum of random plane waves (periods 7–40 px): texture at every scale the 3-level pyramid looks at. */
function texture(seed: number): (x: number, y: number) => number {
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const waves = Array.from({ length: 24 }, () => {
    const period = 7 + 33 * rnd();
    const a = 2 * Math.PI * rnd();
    return { kx: (Math.cos(a) * 2 * Math.PI) / period, ky: (Math.sin(a) * 2 * Math.PI) / period, ph: 2 * Math.PI * rnd(), amp: 0.5 + rnd() };
  });
  const norm = waves.reduce((t, w) => t + w.amp, 0);
  return (x, y) => 128 + (110 * waves.reduce((t, w) => t + w.amp * Math.sin(w.kx * x + w.ky * y + w.ph), 0)) / norm;
}

/** The texture seen after content moved by p → c + k (p − c) + t: output pixel q shows f(c + (q − t − c) / k). */
function render(f: (x: number, y: number) => number, w: number, h: number, k = 1, t: [number, number] = [0, 0], c: [number, number] = [0, 0]): Grey {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data[y * w + x] = Math.round(f(c[0] + (x - t[0] - c[0]) / k, c[1] + (y - t[1] - c[1]) / k));
  return { width: w, height: h, data, x0: 0, y0: 0 };
}

const W = 320;
const H = 240;
const grid: [number, number][] = [];
for (let y = 60; y <= 180; y += 20) for (let x = 60; x <= 260; x += 20) grid.push([x, y]);

describe('pixel motion by pyramidal Lucas–Kanade (21×21, 3 levels, forward–backward < 0.5 px)', () => {
  const f = texture(7);
  const before = render(f, W, H);

  it('recovers a sub-pixel shift within 0.2 px', async () => {
    const t: [number, number] = [3.37, -2.61];
    const r = await trackPoints(before, render(f, W, H, 1, t), grid);
    expect(r.ok.filter(Boolean).length).toBe(grid.length);
    grid.forEach(([x, y], i) => {
      expect(Math.abs(r.pts[i][0] - (x + t[0]))).toBeLessThan(0.2);
      expect(Math.abs(r.pts[i][1] - (y + t[1]))).toBeLessThan(0.2);
    });
  });

  it('recovers a 3 % scale with a shift (up to 7 px of motion) within 0.2 px', async () => {
    // LK fits one translation per 21×21 window, so under a scale its estimate is the motion of the
    // window's gradient-weighted centre, a few px off the point: the error grows ~0.025 px per
    // percent of local scale (0.07 px median here, 0.25 px at 10 %).
    const k = 1.03;
    const t: [number, number] = [2.6, -1.7];
    const c: [number, number] = [160, 120];
    const r = await trackPoints(before, render(f, W, H, k, t, c), grid);
    expect(r.ok.filter(Boolean).length).toBe(grid.length);
    grid.forEach(([x, y], i) => {
      expect(Math.abs(r.pts[i][0] - (c[0] + k * (x - c[0]) + t[0]))).toBeLessThan(0.2);
      expect(Math.abs(r.pts[i][1] - (c[1] + k * (y - c[1]) + t[1]))).toBeLessThan(0.2);
    });
  });

  it('works on windows of larger images: coordinates stay in the image frame', async () => {
    const rgba = (g: Grey) => {
      const d = new Uint8ClampedArray(g.width * g.height * 4);
      for (let i = 0; i < g.data.length; i++) d.set([g.data[i], g.data[i], g.data[i], 255], i * 4);
      return d;
    };
    const t: [number, number] = [-1.25, 2.5];
    const rect: [number, number, number, number] = [40, 30, 250, 190];
    const a = greyWindow(rgba(before), W, H, rect);
    const b = greyWindow(rgba(render(f, W, H, 1, t)), W, H, rect);
    expect([a.x0, a.y0, a.width, a.height]).toEqual(rect);
    // Grey of a grey RGBA pixel is the pixel.
    expect(a.data[0]).toBe(before.data[30 * W + 40]);
    const r = await trackPoints(a, b, grid);
    expect(r.ok.filter(Boolean).length).toBe(grid.length);
    grid.forEach(([x, y], i) => expect(Math.hypot(r.pts[i][0] - x - t[0], r.pts[i][1] - y - t[1])).toBeLessThan(0.2));
  });

  it('does not count points whose content was replaced as tracked', async () => {
    // After: the left half is a different texture (as when the background shows through), the right half shifted.
    const g = texture(99);
    const t: [number, number] = [2, 1];
    const after = render((x, y) => (x < 150 ? g(x, y) : f(x, y)), W, H, 1, t);
    const r = await trackPoints(before, after, grid);
    const left = grid.map(([x], i) => [x, i] as const).filter(([x]) => x <= 120);
    const right = grid.map(([x], i) => [x, i] as const).filter(([x]) => x >= 180);
    expect(left.filter(([, i]) => r.ok[i]).length / left.length).toBeLessThan(0.2);
    expect(right.every(([, i]) => r.ok[i])).toBe(true);
  });
});
