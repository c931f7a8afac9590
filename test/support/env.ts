import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repo root (test/support → ../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The test bed build (`npm run build:testbed`): the library's entries plus `internals`, never packed. */
export const TESTBED = resolve(ROOT, '.testbed');

/** The shared fixtures live beside the clone; a user's own clone has none, and those tests skip. */
export const SHARED = resolve(ROOT, '..', 'shared');
export const SHARED_FIXTURES = resolve(SHARED, 'fixtures');
export const OFFICIAL_MODEL = resolve(SHARED, 'models', 'face_landmarker.official.task');
export const HAS_SHARED = existsSync(resolve(SHARED_FIXTURES, 'faces'));
export const HAS_OFFICIAL_MODEL = existsSync(OFFICIAL_MODEL);
export const SKIP_SHARED_MSG = `../shared/fixtures not found next to the repo (${SHARED_FIXTURES}); skipping tests on shared fixtures`;

if (!HAS_SHARED) console.warn(SKIP_SHARED_MSG);

/** Mounts every browser test uses: shared fixtures (when present), our own fixtures and data, the reference model. */
export function testMounts(): Record<string, string> {
  const m: Record<string, string> = { '/test-fixtures/': resolve(ROOT, 'test', 'fixtures'), '/test-data/': resolve(ROOT, 'test', 'data') };
  if (HAS_SHARED) m['/fixtures/'] = SHARED_FIXTURES;
  if (HAS_OFFICIAL_MODEL) m['/ref-models/'] = resolve(SHARED, 'models');
  return m;
}
