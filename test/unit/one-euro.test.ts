import { describe, expect, it } from 'vitest';
import { OneEuroFilter, ONE_EURO_DEFAULTS } from '../../src/video/one-euro';

/** Seeded Gaussian noise (Box–Muller on a small LCG) so the figures are reproducible. */
function gauss(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const FPS = 30;
const FACE = 150; // face width in px: the filter's speed scale

function run(xs: number[], opts = {}): number[] {
  const f = new OneEuroFilter(1, opts);
  const v = new Float64Array(1);
  return xs.map((x, i) => {
    v[0] = x;
    f.filter(v, v, i / FPS, FACE);
    return v[0];
  });
}

function rmsStep(a: number[]): number {
  let s = 0;
  for (let i = 1; i < a.length; i++) s += (a[i] - a[i - 1]) ** 2;
  return Math.sqrt(s / (a.length - 1));
}

describe('One Euro filter', () => {
  it('passes the first sample and a constant signal through unchanged', () => {
    expect(run([5, 5, 5, 5])).toEqual([5, 5, 5, 5]);
    expect(ONE_EURO_DEFAULTS).toEqual({ minCutoff: 1, beta: 8, dCutoff: 1 });
  });

  it('cuts frame-to-frame jitter of a still landmark by more than 5×', () => {
    const g = gauss(7);
    const xs = Array.from({ length: 300 }, () => 100 + 0.5 * g());
    const out = run(xs);
    const ratio = rmsStep(xs) / rmsStep(out.slice(30));
    console.log(`jitter 0.5 px rms: frame-to-frame rms ${rmsStep(xs).toFixed(3)} px raw, ${rmsStep(out.slice(30)).toFixed(3)} px filtered (${ratio.toFixed(1)}× less)`);
    expect(ratio).toBeGreaterThan(5);
  });

  it('follows a step: within 1 px of the target after 4 frames (133 ms at 30 fps)', () => {
    const xs = [...Array(10).fill(100), ...Array(30).fill(120)];
    const out = run(xs);
    const after = out.slice(10).map((y) => Math.abs(120 - y));
    console.log('step 20 px, error per frame: ' + after.slice(0, 8).map((e) => e.toFixed(2)).join(' '));
    expect(after[3]).toBeLessThan(1);
    expect(after[20]).toBeLessThan(0.05);
  });

  it('follows a ramp (90 px/s) with a steady lag under 2 px (2/3 of a frame), and settles within 0.5 px in 5 frames when it stops', () => {
    const xs: number[] = [];
    for (let i = 0; i < 10; i++) xs.push(100);
    for (let i = 1; i <= 40; i++) xs.push(100 + 3 * i);
    for (let i = 0; i < 20; i++) xs.push(220);
    const out = run(xs);
    const lag = xs.map((x, i) => x - out[i]);
    const steady = Math.max(...lag.slice(25, 50));
    console.log(`ramp 3 px/frame: steady lag ${steady.toFixed(2)} px; after stop: ${lag.slice(50, 56).map((e) => e.toFixed(2)).join(' ')}`);
    expect(steady).toBeLessThan(2);
    expect(Math.abs(lag[54])).toBeLessThan(0.5);
  });

  it('without speed adaptation (beta 0) the same ramp lags far more: beta is what removes lag', () => {
    const xs = Array.from({ length: 60 }, (_, i) => 3 * i);
    const lagBeta0 = xs[50] - run(xs, { beta: 0 })[50];
    const lag = xs[50] - run(xs)[50];
    expect(lagBeta0).toBeGreaterThan(3 * lag);
  });

  it('repeats its output for a repeated timestamp, resets, and validates options', () => {
    const f = new OneEuroFilter(2);
    const v = new Float64Array([1, 2]);
    f.filter(v, v, 0);
    const w = new Float64Array([9, 9]);
    f.filter(w, w, 0);
    expect([...w]).toEqual([1, 2]);
    f.reset();
    f.filter(new Float64Array([9, 9]), w, 1);
    expect([...w]).toEqual([9, 9]);
    expect(() => new OneEuroFilter(0)).toThrow(RangeError);
    expect(() => new OneEuroFilter(1, { minCutoff: 0 })).toThrow(RangeError);
    expect(() => new OneEuroFilter(1, { beta: -1 })).toThrow(RangeError);
  });
});
