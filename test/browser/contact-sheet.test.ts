import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';
import { HAS_SHARED, ROOT } from '../support/env';
import { contactSheet } from '../support/page-fns';

/**
 * Before/after pairs of every shape at strength 1 (and −1) through the WebGPU path, saved to
 * test/artifacts/ to be looked at. Non-politician fixtures only (their photos carry no
 * no-manipulation notice). Each edit must visibly change the face.
 */
const SHEETS = [
  { name: 'face01', url: '/test-fixtures/astronaut.png', shared: false },
  { name: 'face02', url: '/test-fixtures/grace_hopper.jpg', shared: false },
  { name: 'face10', url: '/fixtures/faces/face10_business_woman.png', shared: true },
];

describe('contact sheets of all 22 shapes', () => {
  const page = usePage();
  const out = resolve(ROOT, 'test/artifacts');
  mkdirSync(out, { recursive: true });

  for (const s of SHEETS) {
    for (const strength of [1, -1]) {
      it.skipIf(s.shared && !HAS_SHARED)(`${s.name} at ${strength}`, async () => {
        const r = await page().page.evaluate(contactSheet, s.url, strength, 'webgpu' as const);
        const file = resolve(out, `contact-${s.name}-${strength > 0 ? 'plus' : 'minus'}1.png`);
        writeFileSync(file, Buffer.from(r.png, 'base64'));
        expect(r.changes).toHaveLength(23);
        r.changes.forEach((c, i) => expect(c, `shape ${i} changed the face`).toBeGreaterThan(0.05));
      });
    }
  }
});
