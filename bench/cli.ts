// The command line as a user runs it: `face-reshape reshape` cold (empty Chromium profile) and warm
// (profile kept), and the batch form on 20 images, next to the same 20 reshapes made in a page.
//   npx tsx bench/cli.ts [--json]
// Needs the built library and CLI (npm run build). `benchCli()` is exported for bench/run.ts.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRuntime } from '../packages/face-reshape/src/node/runtime';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const BIN = resolve(ROOT, 'packages/face-reshape/bin/face-reshape.js');
const FACES = resolve(ROOT, '..', 'shared', 'fixtures', 'faces');

export interface CliBenchResult {
  /** `face-reshape reshape` on one 512 px JPEG with an empty profile: process start to exit. */
  cli_cold_ms: number;
  /** The same command again, the profile (the kept wasm and model, GPU caches) kept from the cold run. */
  cli_warm_ms: number;
  /** One `reshape IN... --out-dir` call on 20 images (warm profile), images per second of the whole call. */
  cli_batch_images_per_s: number;
  cli_batch_images: number;
  cli_batch_ok: number;
  /** The whole call / 20. */
  cli_batch_ms_per_image: number;
  /** The same 20 reshapes in a page (compat call, encoded output, bytes already in the page), per image. */
  cli_batch_inpage_ms_per_image: number;
  /** Goal ≤ 1.5. */
  ratio_cli_batch_to_inpage: number;
  /** What each image after the first adds to a batch call: (batch − cli_warm_ms, a one-image call) / 19. */
  cli_batch_marginal_ms_per_image: number;
  ratio_cli_batch_marginal_to_inpage: number;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((done) =>
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, _out, stderr) =>
      done({ ms: performance.now() - t0, code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
}

/** 20 images: the shared faces (all sizes, as users have them) and our two fixtures, repeated as needed. */
function batchImages(dir: string, n = 20): string[] {
  const sources = [
    ...(existsSync(FACES) ? readdirSync(FACES).sort().map((f) => join(FACES, f)) : []),
    resolve(ROOT, 'test/fixtures/grace_hopper.jpg'),
    resolve(ROOT, 'test/fixtures/astronaut.png'),
  ];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const src = sources[i % sources.length];
    const dest = join(dir, `${String(i).padStart(2, '0')}_${src.split('/').pop()}`);
    copyFileSync(src, dest);
    out.push(dest);
  }
  return out;
}

/** Runs in the page: the CLI's own per-file work (compat call, encoded output) on each image, timed. */
async function inPageBatch(urls: string[], shape: string, strength: string): Promise<{ ms: number; ok: number }> {
  const w = window as any;
  const images = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
  const reshaper = await w.lib.FaceReshaper.create({ maxFaces: 4, backend: 'webgpu' });
  const one = async (image: Uint8Array, name: string) => {
    const outputType = /\.jpe?g$/i.test(name) ? 'image/jpeg' : 'image/png';
    const res = await w.compat.runFacialAesthetics({ image, shape_type: shape, strength }, { reshaper, outputType, allowShapeNames: true });
    if (res.output) await res.output.arrayBuffer();
    return res.envelope.error_code === 0;
  };
  await one(images[0], urls[0]); // warm: the CLI's first file pays this inside its call
  const t0 = performance.now();
  let ok = 0;
  for (let i = 0; i < images.length; i++) if (await one(images[i], urls[i])) ok++;
  const ms = performance.now() - t0;
  reshaper.dispose?.();
  return { ms, ok };
}

export async function benchCli(): Promise<CliBenchResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'face-reshape-bench-cli-'));
  try {
    const profile = join(tmp, 'profile');
    const env = { FACE_RESHAPE_PROFILE: profile };
    const one = resolve(ROOT, 'test/fixtures/grace_hopper.jpg');
    const args = ['reshape', one, '--shape', 'slim_face', '--strength', '0.6'];
    const cold = await run([...args, '--out', join(tmp, 'cold.jpg')], env);
    const warm = await run([...args, '--out', join(tmp, 'warm.jpg')], env);
    if (cold.code || warm.code) throw new Error(`face-reshape reshape failed: ${cold.stderr}${warm.stderr}`);

    const inDir = join(tmp, 'in');
    mkdirSync(inDir);
    const files = batchImages(inDir);
    const batch = await run(['reshape', inDir, '--out-dir', join(tmp, 'out'), '--shape', 'slim_face', '--strength', '0.6', '--json'], env);
    if (batch.code === 1) throw new Error(`face-reshape reshape --out-dir failed: ${batch.stderr}`);
    const batchOk = readdirSync(join(tmp, 'out')).filter((f) => !f.startsWith('.')).length;

    const rt = await startRuntime({ mounts: { '/bench-in/': inDir } });
    let inpage;
    try {
      const { page } = await rt.newPage();
      inpage = await page.evaluate(inPageBatch, files.map((f) => `/bench-in/${f.split('/').pop()}`), 'slim_face', '0.6');
    } finally {
      await rt.close();
    }
    const perImage = batch.ms / files.length;
    const inpagePerImage = inpage.ms / files.length;
    const marginal = (batch.ms - warm.ms) / (files.length - 1);
    return {
      cli_cold_ms: Math.round(cold.ms),
      cli_warm_ms: Math.round(warm.ms),
      cli_batch_images_per_s: Math.round((files.length / (batch.ms / 1000)) * 100) / 100,
      cli_batch_images: files.length,
      cli_batch_ok: batchOk,
      cli_batch_ms_per_image: Math.round(perImage),
      cli_batch_inpage_ms_per_image: Math.round(inpagePerImage),
      ratio_cli_batch_to_inpage: Math.round((perImage / inpagePerImage) * 100) / 100,
      cli_batch_marginal_ms_per_image: Math.round(marginal),
      ratio_cli_batch_marginal_to_inpage: Math.round((marginal / inpagePerImage) * 100) / 100,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function describeCli(r: CliBenchResult): string[] {
  const f = (v: number) => v.toFixed(2).padStart(9);
  return [
    `cli_cold_ms           ${f(r.cli_cold_ms)}   (face-reshape reshape, one 512 px JPEG, empty Chromium profile: process start to exit)`,
    `cli_warm_ms           ${f(r.cli_warm_ms)}   (the same again, profile kept)`,
    `cli_batch_images_per_s${f(r.cli_batch_images_per_s)}   (reshape IN... --out-dir, ${r.cli_batch_images} images in one call, ${r.cli_batch_ok} ok; ${r.cli_batch_ms_per_image} ms per image)`,
    `  vs in-page          ${f(r.ratio_cli_batch_to_inpage)}   (× the same ${r.cli_batch_images} reshapes in a page, ${r.cli_batch_inpage_ms_per_image} ms each; goal ≤ 1.5)`,
    `  each image after 1  ${f(r.ratio_cli_batch_marginal_to_inpage)}   (× in-page: ${r.cli_batch_marginal_ms_per_image} ms, the batch call less a one-image call, per further image)`,
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchCli();
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
  else for (const line of describeCli(r)) console.log(line);
}
