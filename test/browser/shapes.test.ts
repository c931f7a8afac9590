import { describe, expect, it } from 'vitest';
import { SHAPE_NAMES } from '../../src/shapes/names';
import type { Face } from '../../src/types';
import { usePage } from '../support/browser';
import { HAS_SHARED } from '../support/env';
import { evaluate, faceWidth, formatResult, matchFace, measureMotion, redetectedStrengths, redetectionNeeded, STRENGTHS, type Photo } from '../support/flow-shapes';
import { decodeAndDetect, reshapeCpuAndRedetect } from '../support/page-fns';

/**
 * Contract section 3 on real photos: every shape at 0.25/0.5/0.75/1 and −1 on every face below.
 * Each output is warped once in Node by the library's own field builder and CPU reference warp
 * (the GPU warp matches it within the parity bounds, tested on every fixture elsewhere), the
 * input's landmarks are tracked into it by pixel motion (pyramidal Lucas–Kanade, test/support/flow.ts)
 * and the page re-detects the outputs that need it with the library's detector. Pixel motion
 * decides with a margin of 1.25 on every threshold; where a check's landmarks are not tracked
 * (the silhouette, mostly), re-detection decides that check at the contract's threshold; and
 * re-detection must never move a distance the wrong way by more than its noise.
 *
 * Faces: the near-frontal shared fixture faces at least 200 px wide (d(234,454), measured on
 * this detector's landmarks): face04 271 px, face08 318, face09 416 and 376, face10 249, face19
 * 675, face23 238. The other candidates are smaller: face03 195 px (its 8 px eye apertures are
 * below what a 21 px LK window resolves: 5.8–6.5 % read for a 20 % stretch), face02 182, face07's
 * largest 141, face01 91.
 * - Calibration (the shapes were tuned on these only): face08 and face09's left child, the two
 *   largest frontal faces of the three the shapes had been tuned on before (re-detection era).
 * - Check (never tuned on): face04 (turned ~15°, speaking), face09's right child, face10 (tuned on
 *   in the re-detection era, not in this pixel-motion tuning), face19 (hand on the face, large),
 *   face23 (glasses, greyscale, elderly): five faces unlike the calibration ones.
 * The check faces were run twice: after the first run (13 failures) the contour bands got a
 * plateau over the contour (cheekbone, slim_face, slim_jaw) and nose_tip a gentler falloff, both
 * verified on the calibration faces only; no amount was set from a check face's figures.
 * A third run (on main with the issue-16 detector) left lip_height and philtrum short by pixel
 * motion on face04 (−6.0 % and −9.9 % against −7.5 % and −10 %); they were also the two weakest
 * on the calibration faces (×1.21 and ×1.41 on face08). Both were strengthened (16 %), lip_height's
 * plateau measured on the upper lip alone, and philtrum lengthens by less (14 %). That change was
 * prompted by a check face, so for these two shapes face04 no longer counts as unseen.
 */
/**
 * Shortfalls on check faces, each a contract check the shapes do NOT meet today (issue 15 stays
 * open on them). They are listed so that the rest of the suite can gate main; the test fails if
 * any other check fails, and also if a listed one passes (then delete its line). All are decided
 * by re-detection, where MediaPipe's shape prior disagrees with what the pixels did:
 * - face04 (mouth open, turned): both chin shapes move d(17,152) by 11.8–13.6 % in pixels, but the
 *   re-detected chin goes the other way by 1.3–2.9 % at ±1. On this face our model's d(17,152) is
 *   not stable to 1 %: the unchanged photo with ±2 levels of noise re-detects it at −0.9…+2.8 %, and
 *   shifted by one pixel at −1.5…−5.5 % (d(172,397) moves ≤ 0.4 % under the same perturbations).
 *   Google's released bundle (../shared/models, for comparison only) re-detects the same outputs
 *   the right way: −4.6 % / +1.8 % (chin_shorten ±1), +1.6 % / −5.4 % (chin_lengthen ±1).
 * - face09 right child, slim_face: the contour moves 11 % in pixels (untracked on the silhouette);
 *   re-detected −1.9 % / −2.6 % against −3 %; Google's bundle: −1.0 % / −2.6 %.
 * - face23, slim_jaw: d(172,397) untracked; re-detected −2.7 % against −3 %; Google's bundle: −6.5 %.
 * So five of the seven are our offline-built model's registration, two are MediaPipe's mesh prior.
 * Raising these amounts until re-detection agreed is the over-warping section 3 warns against.
 */
const SHORTFALLS: ReadonlyArray<{ at: string; kind: string }> = [
  { at: 'che face04: chin_shorten: d(17,152) re-detected', kind: 'at +1: the wrong way' },
  { at: 'che face04: chin_shorten: d(17,152) re-detected', kind: 'at −1: the wrong way' },
  { at: 'che face04: chin_lengthen: d(17,152) re-detected', kind: 'at +1: the wrong way' },
  { at: 'che face04: chin_lengthen: d(17,152) re-detected', kind: 'at −1: the wrong way' },
  { at: 'che face09r: slim_face: d(93,323)', kind: 'at +1 by redetection: needs' },
  { at: 'che face09r: slim_face: d(132,361)', kind: 'at +1 by redetection: needs' },
  { at: 'che face23: slim_jaw: d(172,397)', kind: 'at +1 by redetection: needs' },
];
const isShortfall = (f: string, sf: { at: string; kind: string }) => f.startsWith(sf.at) && f.includes(sf.kind);

type Pick = 'largest' | 'left' | 'right';
const PHOTOS: Array<{ file: string; faces: Array<{ set: 'calibration' | 'check'; pick: Pick }> }> = [
  { file: 'face08_sergey_frontal.png', faces: [{ set: 'calibration', pick: 'largest' }] },
  {
    file: 'face09_two_children.jpg',
    faces: [
      { set: 'calibration', pick: 'left' },
      { set: 'check', pick: 'right' },
    ],
  },
  { file: 'face04_obama_speech_turned.jpg', faces: [{ set: 'check', pick: 'largest' }] },
  { file: 'face10_business_woman.png', faces: [{ set: 'check', pick: 'largest' }] },
  { file: 'face19_model_face_hand.jpg', faces: [{ set: 'check', pick: 'largest' }] },
  { file: 'face23_katherine_johnson_1983_glasses.jpg', faces: [{ set: 'check', pick: 'largest' }] },
];

function pick(faces: Face[], how: Pick): number {
  let best = 0;
  faces.forEach((f, i) => {
    const b = faces[best];
    if (how === 'largest' ? faceWidth(f) > faceWidth(b) : how === 'left' ? f.box[0] < b.box[0] : f.box[0] > b.box[0]) best = i;
  });
  return best;
}

describe('the 22 shapes by pixel motion and re-detection (contract section 3), calibration and check faces', () => {
  const page = usePage();

  for (const photo of PHOTOS) {
    const label = photo.faces.map((f) => `${f.set} ${photo.file.slice(0, 6)}${photo.faces.length > 1 ? ` ${f.pick}` : ''}`).join(', ');
    it.skipIf(!HAS_SHARED)(`${label}: every shape meets its figures with margin, monotone, both signs, selective`, async () => {
      const url = `/fixtures/faces/${photo.file}`;
      const dec = await page().page.evaluate(decodeAndDetect, url);
      const input: Photo = { file: photo.file, width: dec.width, height: dec.height, rgba: new Uint8ClampedArray(Buffer.from(dec.rgba, 'base64')), faces: dec.faces as Face[] };
      const measured = photo.faces.map((f) => pick(input.faces, f.pick));
      expect(new Set(measured).size, 'distinct faces').toBe(measured.length);
      for (const i of measured) expect(faceWidth(input.faces[i]), 'the contract figures hold for faces ≥ 200 px wide').toBeGreaterThanOrEqual(200);

      const pm = await measureMotion(input, measured);
      const need = redetectionNeeded(pm);
      const jobs = need.flatMap((n, si) => redetectedStrengths(n).map((k) => ({ si, k })));
      const found = await page().page.evaluate(
        reshapeCpuAndRedetect,
        url,
        jobs.map(({ si, k }) => [{ shape: SHAPE_NAMES[si], strength: STRENGTHS[k] }]),
      );
      const redetected = SHAPE_NAMES.map(() => STRENGTHS.map(() => measured.map((): Face | undefined => undefined)));
      jobs.forEach(({ si, k }, j) => {
        expect(found[j], `${SHAPE_NAMES[si]} at ${STRENGTHS[k]}: face count after the warp`).toHaveLength(input.faces.length);
        measured.forEach((fi, m) => (redetected[si][k][m] = matchFace(input.faces[fi], found[j] as Face[])));
      });

      const failures: string[] = [];
      const rows: string[] = [];
      const names = new Set<string>();
      measured.forEach((fi, m) => {
        const name = `${photo.faces[m].set.slice(0, 3)} ${photo.file.slice(0, 6)}${photo.faces.length > 1 ? photo.faces[m].pick[0] : ''}`;
        names.add(name);
        SHAPE_NAMES.forEach((shape, si) => {
          const r = evaluate(
            input.faces[fi],
            shape,
            pm.motion[si].map((perFace) => perFace[m]),
            redetected[si].map((perFace) => perFace[m]),
          );
          rows.push(formatResult(name, r));
          failures.push(...r.failures.map((f) => `${name}: ${f}`));
        });
      });
      console.log(rows.join('\n'));
      const listed = SHORTFALLS.filter((sf) => names.has(sf.at.slice(0, sf.at.indexOf(':'))));
      expect(failures.filter((f) => !SHORTFALLS.some((sf) => isShortfall(f, sf))), 'checks that fail').toEqual([]);
      expect(listed.filter((sf) => !failures.some((f) => isShortfall(f, sf))), 'listed shortfalls that now pass: delete them').toEqual([]);
    });
  }
});
