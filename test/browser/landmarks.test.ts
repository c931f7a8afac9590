import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';
import { HAS_OFFICIAL_MODEL, HAS_SHARED, SHARED_FIXTURES, SKIP_SHARED_MSG } from '../support/env';

/**
 * The default (offline-built) bundle against Google's official one, in real Chromium with the real
 * tasks-vision wasm. Per-fixture figures are printed so the closing note can quote them.
 */
/**
 * Where the two bundles disagree on the same detector crop: measured, not tuned. Each entry is
 * asserted exactly (counts) or as a bound just above the measured figure (distances), so any
 * change, better or worse, shows up.
 * face11: the two 26-px children score > 0.95 presence with both 2020 heads in our bundle (the
 * attention mesh's and the plain mesh's); Google's 2023 mesh scores them < 0.1.
 */
const KNOWN_COUNT_DIFFERENCES: Record<string, { ours: number; google: number }> = {
  'face11_three_girls_horse_tiny.jpg': { ours: 2, google: 0 },
};
/**
 * face15: a strongly turned face (hair over the far side). Our ensemble's landmarks are 6.5 % of face
 * width from Google's, but Google's own VIDEO-mode re-fit on the same still moves 3–3.8 % away from
 * its IMAGE-mode answer: on this face the models' uncertainty is that large. (Before the ensemble the
 * attention head alone missed this face; face21's 40-px faces needed 3.5 % and now pass at 3 %.)
 */
const DISTANCE_LIMIT: Record<string, number> = { 'face15_woman_over_shoulder_yaw.png': 0.07 };

const faces = HAS_SHARED ? readdirSync(resolve(SHARED_FIXTURES, 'faces')).sort() : [];
const negatives = HAS_SHARED ? readdirSync(resolve(SHARED_FIXTURES, 'negatives')).sort() : [];

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

  it.skipIf(!HAS_SHARED || !HAS_OFFICIAL_MODEL)('matches Google’s bundle: same face count, landmarks within 3 % of face width', async () => {
    const rows: string[] = [];
    for (const f of faces) {
      const url = '/fixtures/faces/' + f;
      const ours = await detect(url, 'ours', OURS);
      const google = await detect(url, 'google', GOOGLE);
      const known = KNOWN_COUNT_DIFFERENCES[f];
      if (known) expect([ours.faces.length, google.faces.length], `${f}: known presence disagreement`).toEqual([known.ours, known.google]);
      else expect(ours.faces.length, `${f}: face count`).toBe(google.faces.length);
      const dists: string[] = [];
      for (const g of google.faces) {
        const o = bestMatch(g.box, ours.faces);
        if (known && !o) continue;
        expect(o, `${f}: a face of Google's has no match in ours`).toBeTruthy();
        const fw = dist(g.landmarks[234], g.landmarks[454]);
        const rel = meanDistance(o!.landmarks, g.landmarks) / fw;
        dists.push((rel * 100).toFixed(2) + '%');
        expect(rel, `${f}: mean landmark distance / face width`).toBeLessThanOrEqual(DISTANCE_LIMIT[f] ?? 0.03);
      }
      rows.push(`${f.padEnd(44)} faces ours ${ours.faces.length} google ${google.faces.length}  dist ${dists.join(' ') || '-'}  detect ${ours.ms.toFixed(0)} ms (google ${google.ms.toFixed(0)} ms)`);
    }
    console.log('per-fixture landmarks, ours vs Google (CPU delegate, no tiling):\n' + rows.join('\n'));
  });

  it.skipIf(!HAS_SHARED)('finds no face on images without one, with or without tiling', async () => {
    for (const f of negatives) {
      const url = '/fixtures/negatives/' + f;
      expect((await detect(url, 'ours', OURS)).faces, f).toHaveLength(0);
      expect((await detect(url, 'ours-tiled', OURS_TILED)).faces, f + ' (tiled)').toHaveLength(0);
    }
  });

  it.skipIf(!HAS_SHARED || !HAS_OFFICIAL_MODEL)('tiling finds small faces Google’s bundle misses, and keeps every full-image face', async () => {
    const expectations: Array<[string, number, number]> = [
      // file, Google's count without tiling (exact), our minimum with tiling
      ['face11_three_girls_horse_tiny.jpg', 0, 2],
      ['face16_soccer_small_turned.jpg', 0, 2],
      ['face17_girl_with_dog_yaw.jpg', 0, 1],
      ['face21_classroom_many_small.jpg', 2, 8],
    ];
    const rows: string[] = [];
    for (const [f, googleCount, min] of expectations) {
      const url = '/fixtures/faces/' + f;
      const google = await detect(url, 'google', GOOGLE);
      const full = await detect(url, 'ours', OURS);
      const tiled = await detect(url, 'ours-tiled', OURS_TILED);
      const tiles = await page().page.evaluate(() => (window as any).detectors['ours-tiled'].lastTileCount);
      expect(google.faces.length, `${f}: Google without tiling`).toBe(googleCount);
      expect(tiled.faces.length, `${f}: ours with tiling`).toBeGreaterThanOrEqual(min);
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
