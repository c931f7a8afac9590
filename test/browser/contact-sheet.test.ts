import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';
import { HAS_SHARED, ROOT } from '../support/env';
import { faceSheet } from '../support/page-fns';

/**
 * Zoomed sheets of every shape at 0.3 (subtle) and 1 (strong) on the check faces of the shapes
 * test (test/browser/shapes.test.ts), through the WebGPU path, saved to test/artifacts/ to be
 * looked at: the face from forehead to collar, before and after each shape. Every edit must change
 * the face, less at 0.3 than at 1. With UPDATE_DOCS=1 the strength-1 sheets of the check faces
 * whose photos may be shown warped (not face04: politicians' photos carry a no-manipulation
 * notice) become docs/contact-sheet.png, the README's.
 */
const CHECK = [
  { name: 'face04', file: 'face04_obama_speech_turned.jpg', pick: 'largest', publish: false },
  { name: 'face09-right', file: 'face09_two_children.jpg', pick: 'right', publish: true },
  { name: 'face10', file: 'face10_business_woman.png', pick: 'largest', publish: true },
  { name: 'face19', file: 'face19_model_face_hand.jpg', pick: 'largest', publish: true },
  { name: 'face23', file: 'face23_katherine_johnson_1983_glasses.jpg', pick: 'largest', publish: true },
] as const;

function stack(pngs: string[]): PNG {
  const imgs = pngs.map((b) => PNG.sync.read(Buffer.from(b, 'base64')));
  const out = new PNG({ width: Math.max(...imgs.map((i) => i.width)), height: imgs.reduce((h, i) => h + i.height, 0) });
  out.data.fill(255);
  let y = 0;
  for (const img of imgs) {
    for (let r = 0; r < img.height; r++) img.data.copy(out.data, ((y + r) * out.width) * 4, r * img.width * 4, (r + 1) * img.width * 4);
    y += img.height;
  }
  return out;
}

describe('zoomed contact sheets of the 22 shapes on the check faces', () => {
  const page = usePage();
  const out = resolve(ROOT, 'test/artifacts');
  mkdirSync(out, { recursive: true });

  for (const c of CHECK) {
    it.skipIf(!HAS_SHARED)(`${c.name} at 0.3 and 1`, async () => {
      const url = `/fixtures/faces/${c.file}`;
      const changes: number[][] = [];
      for (const strength of [0.3, 1]) {
        const r = await page().page.evaluate(faceSheet, url, c.pick, strength, { cols: 6, tileW: 200, title: `${c.name}: every shape at ${strength}` });
        writeFileSync(resolve(out, `contact-${c.name}-${strength}.png`), Buffer.from(r.png, 'base64'));
        expect(r.changes).toHaveLength(22);
        changes.push(r.changes);
      }
      changes[1].forEach((strong, i) => {
        expect(strong, `shape ${i} at 1 changes the face`).toBeGreaterThan(0.05);
        expect(changes[0][i], `shape ${i} at 0.3 changes the face, less than at 1`).toBeGreaterThan(0);
        expect(changes[0][i], `shape ${i} at 0.3 changes the face less than at 1`).toBeLessThan(strong);
      });
    });
  }

  it.skipIf(!HAS_SHARED || process.env.UPDATE_DOCS !== '1')('UPDATE_DOCS=1: docs/contact-sheet.png from the publishable check faces', async () => {
    const sheets: string[] = [];
    for (const c of CHECK.filter((x) => x.publish)) {
      const r = await page().page.evaluate(faceSheet, `/fixtures/faces/${c.file}`, c.pick, 1, { cols: 12, tileW: 122, title: `${c.name} (check face of the shapes test): every shape at strength 1` });
      sheets.push(r.png);
    }
    writeFileSync(resolve(ROOT, 'docs/contact-sheet.png'), PNG.sync.write(stack(sheets)));
  });
});
