import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';
import { HAS_SHARED, ROOT, SKIP_SHARED_MSG } from '../support/env';

/**
 * Precision and recall on the labelled detection set (test/data/detection/: README there), through
 * the real bundle and tasks-vision in Chromium. Expected values are the labels, i.e. the true
 * faces as judged by eye, never the detector's output of some day.
 */

type Box = [number, number, number, number];
interface FaceLabel {
  shared: string;
  faces: Box[];
  partial?: Box[];
  note: string;
}
interface NegativeLabel {
  file?: string;
  shared?: string;
  category: string;
}
const labels: { faces: FaceLabel[]; negatives: NegativeLabel[] } = JSON.parse(readFileSync(resolve(ROOT, 'test/data/detection/labels.json'), 'utf8'));

/**
 * The recall the issue asks to keep where the set's truth is more than the detector finds. face21
 * has 18 clearly visible faces; two of them, half in shadow between the rows, are missed with
 * tiling too (16 found).
 */
const RECALL_FLOOR: Record<string, number> = { 'face21_classroom_many_small.jpg': 8 };

const urlOf = (l: { file?: string; shared?: string }) => (l.file ? '/test-data/detection/' + l.file : '/fixtures/' + l.shared);
const negatives = labels.negatives.filter((n) => n.file || HAS_SHARED);
const faces = HAS_SHARED ? labels.faces : [];
const CONFIGS = { off: { maxFaces: 20, tiling: 'off' }, tiled: { maxFaces: 20, tiling: 'auto' } } as const;
type Mode = keyof typeof CONFIGS;
interface Found {
  box: Box;
  confidence: number;
}

describe('detection precision and recall on the labelled set (default minFaceConfidence)', () => {
  const page = usePage();
  const found = new Map<string, Record<Mode, Found[]>>();

  beforeAll(async () => {
    if (!HAS_SHARED) console.warn(SKIP_SHARED_MSG);
    const urls = [...negatives.map(urlOf), ...faces.map(urlOf)];
    // One page, one call: every image with tiling off and on.
    const rows = await page().page.evaluate(
      async (urls: string[], configs: typeof CONFIGS) => {
        const { LandmarkDetector } = (window as any).lib;
        const detectors = { off: await LandmarkDetector.create(configs.off), tiled: await LandmarkDetector.create(configs.tiled) };
        const out: Array<Record<string, Array<{ box: number[]; confidence: number }>>> = [];
        for (const url of urls) {
          const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image' });
          const row: Record<string, Array<{ box: number[]; confidence: number }>> = {};
          for (const mode of ['off', 'tiled'] as const) row[mode] = (await detectors[mode].detect(bmp)).map((f: any) => ({ box: f.box, confidence: f.confidence }));
          bmp.close();
          out.push(row);
        }
        detectors.off.close();
        detectors.tiled.close();
        return out;
      },
      urls,
      CONFIGS,
    );
    urls.forEach((u, i) => found.set(u, rows[i] as unknown as Record<Mode, Found[]>));
    console.log(summary(found));
  }, 600_000);

  it('finds no face on any negative, with tiling off and on', () => {
    const falseFaces: string[] = [];
    for (const n of negatives) {
      for (const mode of ['off', 'tiled'] as const) {
        for (const f of found.get(urlOf(n))![mode]) falseFaces.push(`${n.file ?? n.shared} (${n.category}, tiling ${mode}): box ${f.box.map(Math.round)}, confidence ${f.confidence.toFixed(2)}`);
      }
    }
    expect(negatives.length).toBeGreaterThanOrEqual(40);
    expect(falseFaces).toEqual([]);
  });

  it.skipIf(!HAS_SHARED)('every face found on the labelled photos is a labelled face, with tiling off and on', () => {
    for (const l of faces) {
      for (const mode of ['off', 'tiled'] as const) {
        const { unmatched } = match(found.get(urlOf(l))![mode], l);
        expect(unmatched.map((f) => f.box.map(Math.round)), `${l.shared}, tiling ${mode}: faces where the labels have none`).toEqual([]);
      }
    }
  });

  it.skipIf(!HAS_SHARED)('with tiling, finds every clearly visible labelled face (face21: at least the floor of 8)', () => {
    for (const l of faces) {
      const name = l.shared.split('/').pop()!;
      const { matched } = match(found.get(urlOf(l))!.tiled, l);
      const floor = RECALL_FLOOR[name];
      if (floor === undefined) expect(matched, `${name}: ${l.note}`).toBe(l.faces.length);
      else expect(matched, `${name}: ${l.note}`).toBeGreaterThanOrEqual(floor);
    }
  });

  it.skipIf(!HAS_SHARED)('the counts the issue names: face11 ≥ 2, face16 ≥ 2, face17 = 1, face21 ≥ 8, face15 = 1, face06 = 1 (tiling on)', () => {
    const count = (prefix: string) => found.get(urlOf(faces.find((l) => l.shared.startsWith('faces/' + prefix))!))!.tiled.length;
    expect(count('face11')).toBeGreaterThanOrEqual(2);
    expect(count('face16')).toBeGreaterThanOrEqual(2);
    expect(count('face17')).toBe(1);
    expect(count('face21')).toBeGreaterThanOrEqual(8);
    expect(count('face15')).toBe(1);
    expect(count('face06')).toBe(1);
  });

  it('every face carries its confidence, at least the default minFaceConfidence (0.65)', () => {
    for (const rows of found.values()) {
      for (const f of [...rows.off, ...rows.tiled]) {
        expect(f.confidence).toBeGreaterThanOrEqual(0.65);
        expect(f.confidence).toBeLessThanOrEqual(1);
      }
    }
  });

  it('reshape() leaves the negatives that fooled the old presence rule bit-exact', async () => {
    // The committed negatives on which the old rule (the larger of the two flags, no second look)
    // found a face: 11 with the full-image pass, 6 more with tiling (README beside the labels).
    const fooled = [
      'animal-ferret', 'animal-lion', 'animal-owl', 'animal-pig', 'figure-rag-doll', 'figure-wooden-smoker', 'machine-dumper',
      'machine-dumper-mirrored', 'machine-toilet', 'round-tractor-wheel', 'scene-colour-wheel', 'figure-inukshuk', 'machine-cement-mixer',
      'machine-fire-truck', 'machine-motorcycle', 'round-cell', 'scene-lake-at-dusk',
    ].map((n) => `/test-data/detection/negatives/${n}.jpg`);
    const r = await page().page.evaluate(async (urls: string[]) => {
      const { FaceReshaper } = (window as any).lib;
      const rs = await FaceReshaper.create({ backend: 'webgpu', tiling: 'auto' });
      const out: Array<{ url: string; faces: number; unchanged: boolean }> = [];
      for (const url of urls) {
        const bmp = await createImageBitmap(await (await fetch(url)).blob());
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d')!;
        ctx.drawImage(bmp, 0, 0);
        const data = ctx.getImageData(0, 0, bmp.width, bmp.height);
        const res = await rs.reshape(data, { edits: [{ shape: 'slim_face', strength: 1 }, { shape: 'big_eyes', strength: 1 }] });
        out.push({ url, faces: res.faces.length, unchanged: res.image.data.length === data.data.length && res.image.data.every((v: number, i: number) => v === data.data[i]) });
      }
      rs.close();
      return out;
    }, fooled);
    expect(r.filter((x) => x.faces !== 0 || !x.unchanged)).toEqual([]);
    expect(r).toHaveLength(17);
  }, 300_000);
});

/** Found faces matched one to one to labelled faces (then partial ones) whose box holds their centre. */
function match(list: readonly Found[], l: FaceLabel): { matched: number; unmatched: Found[] } {
  const free = [...l.faces.map((b) => ({ b, required: true })), ...(l.partial ?? []).map((b) => ({ b, required: false }))];
  let matched = 0;
  const unmatched: Found[] = [];
  for (const f of list) {
    const cx = (f.box[0] + f.box[2]) / 2;
    const cy = (f.box[1] + f.box[3]) / 2;
    const k = free.findIndex(({ b }) => cx >= b[0] && cx <= b[2] && cy >= b[1] && cy <= b[3]);
    if (k < 0) unmatched.push(f);
    else if (free.splice(k, 1)[0].required) matched++;
  }
  return { matched, unmatched };
}

/** Precision and recall over the set, for the closing note. */
function summary(found: Map<string, Record<Mode, Found[]>>): string {
  const lines: string[] = [];
  for (const mode of ['off', 'tiled'] as const) {
    let tp = 0;
    let fp = 0;
    let truth = 0;
    for (const l of faces) {
      const m = match(found.get(urlOf(l))![mode], l);
      tp += m.matched;
      fp += m.unmatched.length;
      truth += l.faces.length;
    }
    for (const n of negatives) fp += found.get(urlOf(n))![mode].length;
    const precision = tp + fp ? tp / (tp + fp) : 1;
    lines.push(`tiling ${mode.padEnd(5)}: ${tp}/${truth} faces found (recall ${((100 * tp) / Math.max(truth, 1)).toFixed(1)} %), ${fp} false (precision ${(100 * precision).toFixed(1)} %) on ${faces.length} photos with faces and ${negatives.length} without`);
  }
  return 'detection on the labelled set:\n' + lines.join('\n');
}
