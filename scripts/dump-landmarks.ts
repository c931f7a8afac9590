// Dev tool: writes detected landmarks of fixture faces to test/data/landmarks/<name>.json for
// designing and unit-testing shapes in Node. Usage: tsx scripts/dump-landmarks.ts [--official] files...
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { startRuntime } from '../packages/face-reshape/src/node/runtime';
import { testMounts, ROOT, TESTBED } from '../test/support/env';

const args = process.argv.slice(2);
const official = args.includes('--official');
const files = args.filter((a) => !a.startsWith('--'));
const rt = await startRuntime({ mounts: testMounts(), libraryDir: TESTBED });
try {
  const { page } = await rt.newPage();
  const outDir = resolve(ROOT, 'test/data/landmarks');
  mkdirSync(outDir, { recursive: true });
  for (const f of files) {
    const res = await page.evaluate(
      async (url: string, official: boolean) => {
        const w = window as any;
        w.det ??= await w.internals.LandmarkDetector.create({
          maxFaces: 8,
          tiling: 'off',
          ...(official ? { modelAssetPath: '/ref-models/face_landmarker.official.task' } : {}),
        });
        const bmp = await createImageBitmap(await (await fetch(url)).blob(), { imageOrientation: 'from-image' });
        const faces = await w.det.detect(bmp);
        return { width: bmp.width, height: bmp.height, faces };
      },
      '/fixtures/faces/' + f,
      official,
    );
    writeFileSync(resolve(outDir, basename(f).replace(/\.\w+$/, '.json')), JSON.stringify({ file: f, ...res }));
    console.log(f, res.width, res.height, res.faces.length, res.faces.map((x: any) => x.pose));
  }
} finally {
  await rt.close();
}
