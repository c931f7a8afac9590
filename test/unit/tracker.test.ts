import { describe, expect, it } from 'vitest';
import { boxIou } from '../../src/landmarks/box';
import { FaceTracker } from '../../src/video/tracker';
import type { Face, Point3 } from '../../src/types';

/** A synthetic 478-landmark face: points on a jittered grid inside a box of width w at (cx, cy). */
function face(cx: number, cy: number, w: number, noise = 0, seed = 1): Face {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  const landmarks: Point3[] = [];
  for (let i = 0; i < 478; i++) {
    const u = ((i % 22) / 21 - 0.5) * w;
    const v = (Math.floor(i / 22) / 21 - 0.5) * w * 1.2;
    landmarks.push([cx + u + noise * rnd(), cy + v + noise * rnd(), 0]);
  }
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of landmarks) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return { landmarks, box: [x0, y0, x1, y1], pose: { yaw: 0, pitch: 0, roll: 0 }, confidence: 1 };
}

describe('FaceTracker', () => {
  it('IoU of boxes', () => {
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3);
    expect(boxIou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
  });

  it('keeps each face’s id while faces move and the detector reorders them', () => {
    const tr = new FaceTracker();
    const a0 = tr.update([face(100, 100, 80), face(300, 120, 90)], 0);
    const ids = a0.map((f) => f.id);
    expect(new Set(ids).size).toBe(2);
    for (let k = 1; k <= 20; k++) {
      const dets = [face(300 + 2 * k, 120, 90), face(100 - k, 100 + k, 80)]; // swapped order, moving
      const out = tr.update(dets, k / 30);
      expect(out).toHaveLength(2);
      const left = out.find((f) => f.box[0] < 200)!;
      const right = out.find((f) => f.box[0] > 200)!;
      expect(left.id).toBe(ids[0]);
      expect(right.id).toBe(ids[1]);
    }
  });

  it('drops a face that leaves, gives a face that comes back later a new id, and reports nothing for empty frames', () => {
    const tr = new FaceTracker({ maxMissed: 2 });
    const first = tr.update([face(100, 100, 80)], 0)[0].id;
    expect(tr.update([], 1 / 30)).toHaveLength(0);
    expect(tr.update([face(100, 100, 80)], 2 / 30)[0].id).toBe(first); // one missed frame: same track
    for (let k = 3; k < 8; k++) tr.update([], k / 30);
    const back = tr.update([face(100, 100, 80)], 8 / 30);
    expect(back).toHaveLength(1);
    expect(back[0].id).not.toBe(first);
  });

  it('smooths landmark jitter per face, and passes landmarks through with smoothing off', () => {
    const smooth = new FaceTracker();
    const raw = new FaceTracker({ smoothing: false });
    let jitS = 0;
    let jitR = 0;
    let prevS = 0;
    let prevR = 0;
    for (let k = 0; k < 60; k++) {
      const det = face(200, 200, 150, 1, k + 1);
      const s = smooth.update([det], k / 30)[0].landmarks[100][0];
      const r = raw.update([det], k / 30)[0].landmarks[100][0];
      expect(r).toBe(det.landmarks[100][0]);
      if (k > 10) {
        jitS += Math.abs(s - prevS);
        jitR += Math.abs(r - prevR);
      }
      prevS = s;
      prevR = r;
    }
    expect(jitR / jitS).toBeGreaterThan(5);
  });

  it('hands back the same array, face objects and landmark arrays every frame (rewritten in place, not reallocated)', () => {
    const tr = new FaceTracker();
    const a = tr.update([face(100, 100, 80)], 0);
    const f = a[0];
    const lm = f.landmarks;
    const b = tr.update([face(102, 100, 80)], 1 / 30);
    expect(b).toBe(a);
    expect(b[0]).toBe(f);
    expect(b[0].landmarks).toBe(lm);
  });

  it('tracks at most maxFaces faces', () => {
    const tr = new FaceTracker({ maxFaces: 2 });
    expect(tr.update([face(100, 100, 50), face(300, 100, 50), face(500, 100, 50)], 0)).toHaveLength(2);
  });
});
