import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as compat from '../../src/compat/index';
import * as root from '../../src/index';
import { ROOT } from '../support/env';

/** The package's public surface (issue 13): small, and nothing internal in its types. */
describe('the public API', () => {
  it('the root has the native API only', () => {
    expect(Object.keys(root).sort()).toEqual(['ERROR_CODES', 'FaceReshapeError', 'FaceReshaper', 'LandmarkDetector', 'SHAPE_NAMES', 'VideoReshaper', 'isFaceReshapeError', 'shapeId', 'shapeName']);
  });

  it('./compat has the cloud API: the call, the in-page route, the envelope, the checks and the codes', () => {
    expect(Object.keys(compat).sort()).toEqual([
      'CLOUD_CODE_OF',
      'CLOUD_LIMITS',
      'CLOUD_URL',
      'COMPAT_CODES',
      'COMPAT_STATUS',
      'FaceReshapeError',
      'MAX_EDIT_FIELDS',
      'SERVER_CODES',
      'checkCloudImage',
      'checkCloudUpload',
      'closeSharedReshaper',
      'envelopeFromError',
      'errorEnvelope',
      'facialAesthetics',
      'installCloudRoute',
      'isFaceReshapeError',
      'normalizeEdits',
      'parseEditField',
      'parseEditFields',
      'parseFacialAestheticsRequest',
      'runFacialAesthetics',
      'serverErrorEnvelope',
      'sharedReshaper',
      'successEnvelope',
    ]);
  });

  const dts = resolve(ROOT, 'dist');
  it.skipIf(!existsSync(join(dts, 'index.d.ts')))('the emitted types carry nothing marked @internal', () => {
    const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.d.ts') ? [join(dir, n)] : []));
    const internal = files(dts).filter((f) => /@internal/.test(readFileSync(f, 'utf8')));
    expect(internal).toEqual([]);
  });
});
