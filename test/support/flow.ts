import { createRequire } from 'node:module';

/**
 * Pixel motion as contract section 3 measures it: points tracked from one image into another by
 * OpenCV's pyramidal Lucas–Kanade optical flow (`calcOpticalFlowPyrLK`, OpenCV 4.12 compiled to
 * wasm, run in Node), with a 21×21 window and 3 pyramid levels on grey images. A point counts as
 * tracked when tracking its result back into the first image lands within 0.5 px of where it
 * started (forward–backward check) and OpenCV reports both passes found.
 */

type CV = typeof import('@techstark/opencv-js');

export const LK_WINDOW = 21;
/** OpenCV's maxLevel is 0-based: levels 0, 1 and 2. */
export const LK_MAX_LEVEL = 2;
export const LK_FB_MAX = 0.5;

let cvReady: Promise<{ cv: CV }> | null = null;

/**
 * The OpenCV wasm module, initialised once per process (~0.3 s). Wrapped in an object because
 * the Emscripten module is itself a thenable resolving to itself: awaiting it directly never ends.
 */
export function opencv(): Promise<{ cv: CV }> {
  cvReady ??= new Promise((resolve) => {
    const mod = createRequire(import.meta.url)('@techstark/opencv-js') as CV & { onRuntimeInitialized?: () => void };
    if (typeof mod.calcOpticalFlowPyrLK === 'function') resolve({ cv: mod });
    else mod.onRuntimeInitialized = () => resolve({ cv: mod });
  });
  return cvReady;
}

/** A grey (one byte per pixel) image, or a window of one: pixel (x, y) of `data` is at image (x0 + x, y0 + y). */
export interface Grey {
  width: number;
  height: number;
  data: Uint8Array;
  x0: number;
  y0: number;
}

/**
 * Grey window [x0, x0 + w) × [y0, y0 + h) of an RGBA image (clipped to it), with OpenCV's
 * RGB→grey weights (0.299, 0.587, 0.114, rounded like cvtColor's fixed-point path).
 */
export function greyWindow(rgba: ArrayLike<number>, width: number, height: number, rect?: [number, number, number, number]): Grey {
  const [rx, ry, rw, rh] = rect ?? [0, 0, width, height];
  const x0 = Math.max(0, Math.floor(rx));
  const y0 = Math.max(0, Math.floor(ry));
  const x1 = Math.min(width, Math.ceil(rx + rw));
  const y1 = Math.min(height, Math.ceil(ry + rh));
  const w = Math.max(0, x1 - x0);
  const h = Math.max(0, y1 - y0);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let s = ((y0 + y) * width + x0) * 4;
    for (let x = 0, d = y * w; x < w; x++, d++, s += 4) {
      // cvtColor's integer path: (R·4899 + G·9617 + B·1868 + 2^13) >> 14.
      data[d] = (rgba[s] * 4899 + rgba[s + 1] * 9617 + rgba[s + 2] * 1868 + 8192) >> 14;
    }
  }
  return { width: w, height: h, data, x0, y0 };
}

export interface Tracked {
  /** Where each point went (image coordinates); NaN where OpenCV found nothing. */
  pts: [number, number][];
  /** Whether the point passed the forward–backward check. */
  ok: boolean[];
  /** Forward–backward error in pixels (Infinity where a pass failed). */
  fb: number[];
}

/**
 * Tracks image points from `before` into `after` (two windows of the same image rect) with the
 * contract's parameters, and checks each by tracking it back.
 */
export async function trackPoints(before: Grey, after: Grey, points: ReadonlyArray<readonly number[]>): Promise<Tracked> {
  if (before.width !== after.width || before.height !== after.height || before.x0 !== after.x0 || before.y0 !== after.y0) {
    throw new Error('trackPoints: before and after must be the same window of their images');
  }
  const { cv } = await opencv();
  const n = points.length;
  const mats: Array<{ delete(): void }> = [];
  const keep = <T extends { delete(): void }>(m: T): T => {
    mats.push(m);
    return m;
  };
  try {
    const a = keep(new cv.Mat(before.height, before.width, cv.CV_8UC1));
    a.data.set(before.data);
    const b = keep(new cv.Mat(after.height, after.width, cv.CV_8UC1));
    b.data.set(after.data);
    const p0 = keep(new cv.Mat(n, 1, cv.CV_32FC2));
    for (let i = 0; i < n; i++) {
      p0.data32F[2 * i] = points[i][0] - before.x0;
      p0.data32F[2 * i + 1] = points[i][1] - before.y0;
    }
    const win = new cv.Size(LK_WINDOW, LK_WINDOW);
    const criteria = new cv.TermCriteria(cv.TermCriteria_COUNT + cv.TermCriteria_EPS, 30, 0.01);
    const p1 = keep(new cv.Mat());
    const st1 = keep(new cv.Mat());
    const err1 = keep(new cv.Mat());
    cv.calcOpticalFlowPyrLK(a, b, p0, p1, st1, err1, win, LK_MAX_LEVEL, criteria);
    const back = keep(new cv.Mat());
    const st2 = keep(new cv.Mat());
    const err2 = keep(new cv.Mat());
    cv.calcOpticalFlowPyrLK(b, a, p1, back, st2, err2, win, LK_MAX_LEVEL, criteria);
    const pts: [number, number][] = [];
    const ok: boolean[] = [];
    const fb: number[] = [];
    for (let i = 0; i < n; i++) {
      const found = st1.data[i] === 1 && st2.data[i] === 1;
      const x = p1.data32F[2 * i] + before.x0;
      const y = p1.data32F[2 * i + 1] + before.y0;
      const e = found ? Math.hypot(back.data32F[2 * i] - p0.data32F[2 * i], back.data32F[2 * i + 1] - p0.data32F[2 * i + 1]) : Infinity;
      pts.push(st1.data[i] === 1 ? [x, y] : [NaN, NaN]);
      fb.push(e);
      ok.push(e < LK_FB_MAX);
    }
    return { pts, ok, fb };
  } finally {
    for (const m of mats) m.delete();
  }
}
