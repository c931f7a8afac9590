// `npm run build:model`: build models/face_landmarker.task from the weights in
// the installed @mediapipe/face_mesh package. No network access.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFaceLandmarkerTask } from './model/build-task';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = join(root, 'models', 'face_landmarker.task');

/** Directory of the installed @mediapipe/face_mesh package. */
export function faceMeshDir(): string {
  const require = createRequire(join(root, 'package.json'));
  return dirname(require.resolve('@mediapipe/face_mesh/package.json'));
}

export function readFaceMeshInputs(dir = faceMeshDir()): { data: Uint8Array; loader: string } {
  return {
    data: new Uint8Array(readFileSync(join(dir, 'face_mesh_solution_packed_assets.data'))),
    loader: readFileSync(join(dir, 'face_mesh_solution_packed_assets_loader.js'), 'utf8'),
  };
}

function main(): void {
  const start = performance.now();
  const { data, loader } = readFaceMeshInputs();
  const task = buildFaceLandmarkerTask(data, loader);
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, task);
  const sha = createHash('sha256').update(task).digest('hex');
  const ms = Math.round(performance.now() - start);
  console.log(`${relative(root, OUTPUT)}: ${task.length} bytes, sha256 ${sha} (${ms} ms)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (e) {
    console.error(`build:model failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
