import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';
import { HAS_OFFICIAL_MODEL, HAS_SHARED, ROOT, SHARED_FIXTURES } from '../support/env';

/**
 * The default (offline-built) bundle against Google's official one, in real Chromium with the real
 * tasks-vision wasm. Per-fixture figures are printed so the closing note can quote them. Face counts
 * are checked against the labelled set (test/data/detection/labels.json, true faces judged by eye),
 * never against either model's output.
 */
const labels: { faces: Array<{ shared: string; faces: Box[]; partial?: Box[] }> } = JSON.parse(
  readFileSync(resolve(ROOT, 'test/data/detection/labels.json'), 'utf8'),
);
type Box = [number, number, number, number];
const truth = new Map(labels.faces.map((l) => [l.shared.split('/').pop()!, [...l.faces, ...(l.partial ?? [])]]));

/**
 * How far our landmarks may lie from Google's (mean distance): 2 % of the face width plus one image
 * pixel (both networks regress points on crops resampled from the image, so on a 40-px face one
 * pixel of disagreement is 2.5 % by itself).
 */
const limit = (faceWidth: number) => 0.02 + 1 / faceWidth;
/**
 * Outside that promise, documented in models/README.md: face15, a woman looking over her shoulder
 * (yaw 33°, hair over the far side), where the 2020 meshes and Google's 2023 one disagree by 6.5 %
 * of the face width (8.4 % on the half nearer the camera, so it is not the hidden side alone). The
 * test keeps it from getting worse than documented.
 */
const DOCUMENTED_LIMIT: Record<string, number> = { 'face15_woman_over_shoulder_yaw.png': 0.065 };

const faces = HAS_SHARED ? readdirSync(resolve(SHARED_FIXTURES, 'faces')).sort() : [];

interface Detected {
  width: number;
  height: number;
  faces: Array<{ box: [number, number, number, number]; landmarks: [number, number, number][]; pose: { yaw: number; pitch: number; roll: number } }>;
  ms: number;
}

describe('landmarks: offline-built bundle in headless Chromium', () => {
  const page = usePage();

  /** Detects in the page with a named, cached detector configuration. */
  async function detect(url: string, key: string, opts: Record<string, unknown>): Promise<Detected> {
    return page().page.evaluate(
      async (url, key, opts) => {
        const w = window as any;
        w.detectors ??= {};
        w.detectors[key] ??= await w.lib.LandmarkDetector.create(opts);
        const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image' });
        const t0 = performance.now();
        const faces = await w.detectors[key].detect(bmp);
        const ms = performance.now() - t0;
        const out = { width: bmp.width, height: bmp.height, faces, ms };
        bmp.close();
        return out;
      },
      url,
      key,
      opts,
    );
  }

  const OURS = { maxFaces: 20, tiling: 'off' };
  const OURS_TILED = { maxFaces: 20, tiling: 'auto' };
  const GOOGLE = { maxFaces: 20, tiling: 'off', modelAssetPath: '/ref-models/face_landmarker.official.task' };

  it('loads with the CPU and the GPU delegate and finds the committed Debian face', async () => {
    for (const delegate of ['CPU', 'GPU']) {
      const r = await detect('/test-fixtures/grace_hopper.jpg', 'd-' + delegate, { delegate, tiling: 'off' });
      expect(r.faces, `delegate ${delegate}`).toHaveLength(1);
      expect(r.faces[0].landmarks).toHaveLength(478);
      const [x0, y0, x1, y1] = r.faces[0].box;
      // The face sits in the upper middle of the portrait.
      expect(x0).toBeGreaterThan(100);
      expect(x1).toBeLessThan(420);
      expect(y0).toBeGreaterThan(60);
      expect(y1).toBeLessThan(400);
    }
    const cpu = await detect('/test-fixtures/grace_hopper.jpg', 'd-CPU', {});
    const gpu = await detect('/test-fixtures/grace_hopper.jpg', 'd-GPU', {});
    const fw = dist(cpu.faces[0].landmarks[234], cpu.faces[0].landmarks[454]);
    expect(meanDistance(cpu.faces[0].landmarks, gpu.faces[0].landmarks) / fw).toBeLessThan(0.02);
  });

  it.skipIf(!HAS_SHARED || !HAS_OFFICIAL_MODEL)('finds every face Google’s bundle finds, only labelled faces, landmarks within 2 % of face width + 1 px of Google’s (face15: as documented)', async () => {
    const rows: string[] = [];
    let compared = 0;
    for (const f of faces) {
      const url = '/fixtures/faces/' + f;
      const ours = await detect(url, 'ours', OURS);
      const google = await detect(url, 'google', GOOGLE);
      // Both bundles, no tiling: every face either finds is a labelled (real) face.
      for (const [who, r] of [['ours', ours], ['google', google]] as const) {
        for (const face of r.faces) expect(isLabelled(f, face.box), `${f}: ${who} found a face the labels do not have at ${face.box.map(Math.round)}`).toBe(true);
      }
      const dists: string[] = [];
      for (const g of google.faces) {
        const o = bestMatch(g.box, ours.faces);
        expect(o, `${f}: a face of Google's has no match in ours`).toBeTruthy();
        const fw = dist(g.landmarks[234], g.landmarks[454]);
        const rel = meanDistance(o!.landmarks, g.landmarks) / fw;
        const max = DOCUMENTED_LIMIT[f] ?? limit(fw);
        dists.push(`${(rel * 100).toFixed(2)}% (limit ${(max * 100).toFixed(2)}%, w ${fw.toFixed(0)} px)`);
        expect(rel, `${f}: mean landmark distance / face width`).toBeLessThanOrEqual(max);
        compared++;
      }
      rows.push(`${f.padEnd(44)} faces ours ${ours.faces.length} google ${google.faces.length}  dist ${dists.join(' ') || '-'}  detect ${ours.ms.toFixed(0)} ms (google ${google.ms.toFixed(0)} ms)`);
    }
    console.log('per-fixture landmarks, ours vs Google (CPU delegate, no tiling):\n' + rows.join('\n'));
    // Google's bundle finds the fixtures' large faces: the comparison covers them all (19 faces on 13 photos).
    expect(compared).toBeGreaterThanOrEqual(15);
  });

  it.skipIf(!HAS_SHARED || !HAS_OFFICIAL_MODEL)('tiling finds labelled small faces Google’s bundle misses, and keeps every full-image face', async () => {
    const rows: string[] = [];
    for (const f of ['face11_three_girls_horse_tiny.jpg', 'face16_soccer_small_turned.jpg', 'face17_girl_with_dog_yaw.jpg', 'face21_classroom_many_small.jpg']) {
      const url = '/fixtures/faces/' + f;
      const google = await detect(url, 'google', GOOGLE);
      const full = await detect(url, 'ours', OURS);
      const tiled = await detect(url, 'ours-tiled', OURS_TILED);
      const tiles = await page().page.evaluate(() => (window as any).detectors['ours-tiled'].lastTileCount);
      const missedByGoogle = tiled.faces.filter((t) => !bestMatch(t.box, google.faces));
      // Real faces (labelled) that Google's bundle does not find.
      expect(missedByGoogle.length, `${f}: faces tiling finds beyond Google's`).toBeGreaterThan(0);
      for (const face of tiled.faces) expect(isLabelled(f, face.box), `${f}: tiled face at ${face.box.map(Math.round)} is not labelled`).toBe(true);
      for (const face of full.faces) expect(bestMatch(face.box, tiled.faces), `${f}: full-image face kept`).toBeTruthy();
      rows.push(`${f.padEnd(40)} google ${google.faces.length}  ours full ${full.faces.length}  ours tiled ${tiled.faces.length} (${tiles} tiles, ${tiled.ms.toFixed(0)} ms vs ${full.ms.toFixed(0)} ms untiled)`);
    }
    console.log('small faces with tiling:\n' + rows.join('\n'));
  });

  it("'auto' tiling skips portraits (a face ≥ ¼ of the shorter side); explicit tile options always tile", async () => {
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const bmp = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob());
      const auto = await w.lib.LandmarkDetector.create({ tiling: 'auto' });
      const forced = await w.lib.LandmarkDetector.create({ tiling: { minFaceSize: 40 } });
      const a = await auto.detect(bmp);
      const f = await forced.detect(bmp);
      const out = { autoFaces: a.length, autoTiles: auto.lastTileCount, forcedFaces: f.length, forcedTiles: forced.lastTileCount };
      auto.close();
      forced.close();
      return out;
    });
    expect(r).toMatchObject({ autoFaces: 1, autoTiles: 0, forcedFaces: 1 });
    expect(r.forcedTiles).toBeGreaterThan(0);
  });

  it('reports a missing or corrupt model as MODEL_LOAD_FAILED and stays usable', async () => {
    const codes = await page().page.evaluate(async () => {
      const w = window as any;
      const out: string[] = [];
      for (const opts of [{ modelAssetPath: '/models/does-not-exist.task' }, { modelAssetBuffer: new Uint8Array(1000).fill(7) }]) {
        try {
          await w.lib.LandmarkDetector.create(opts);
          out.push('no error');
        } catch (e: any) {
          out.push(`${e.name}:${e.code}:${/modelAssetPath|modelAssetBuffer/.test(e.message)}`);
        }
      }
      return out;
    });
    expect(codes).toEqual(['FaceReshapeError:MODEL_LOAD_FAILED:true', 'FaceReshapeError:MODEL_LOAD_FAILED:true']);
    expect((await detect('/test-fixtures/grace_hopper.jpg', 'd-CPU', {})).faces).toHaveLength(1);
  });

  it('close() is idempotent and a closed detector throws CLOSED', async () => {
    const res = await page().page.evaluate(async () => {
      const w = window as any;
      const d = await w.lib.LandmarkDetector.create({ tiling: 'off' });
      d.close();
      d.close();
      try {
        await d.detect(new ImageData(16, 16));
        return 'no error';
      } catch (e: any) {
        return e.code;
      }
    });
    expect(res).toBe('CLOSED');
  });
});

/** The box's centre lies in a labelled face (or partly hidden face) of that photo. */
function isLabelled(file: string, box: number[]): boolean {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  return (truth.get(file) ?? []).some((b) => cx >= b[0] && cx <= b[2] && cy >= b[1] && cy <= b[3]);
}

type P = [number, number, number];
function dist(a: P, b: P): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
function meanDistance(a: P[], b: P[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += dist(a[i], b[i]);
  return s / a.length;
}
function iou(a: number[], b: number[]): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy;
  return u > 0 ? (ix * iy) / u : 0;
}
function bestMatch<T extends { box: number[] }>(box: number[], list: T[]): T | undefined {
  let best: T | undefined;
  let bestIou = 0.3;
  for (const f of list) {
    const v = iou(box, f.box);
    if (v > bestIou) [best, bestIou] = [f, v];
  }
  return best;
}
