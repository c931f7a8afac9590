import { randomUUID } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'puppeteer';
import {
  checkCloudImage,
  envelopeFromError,
  errorEnvelope,
  FaceReshapeError,
  normalizeEdits,
  parseFacialAestheticsRequest,
  type Edit,
  type FacialAestheticsEnvelope,
} from 'webgpu-face-reshape/compat';
import { readPageBlob } from '../node/page-blob.js';
import { KEPT_ASSETS } from '../node/profile.js';
import type { RuntimePage } from '../node/runtime.js';

export interface ReshapeCliOptions {
  json: boolean;
  shape?: string;
  strength?: string;
  out?: string;
  format?: string;
  edit?: string[];
  backend?: string;
  model?: string;
}

export interface ReshapeCliIo {
  /** Opens (once) the harness page in headless Chromium; only called once the request passed every check made in Node. */
  page: () => Promise<RuntimePage & { assetVersion?: string | null }>;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Where `--out -` writes the image (default: process.stdout). */
  stdoutBytes?: (bytes: Buffer) => void;
  /** Where IN `-` is read from (default: file descriptor 0). */
  stdin?: () => Buffer;
}

export interface PageConfig { // [batch] exported
  shape_type?: string;
  strength?: string;
  edits: Edit[];
  outputType: 'image/png' | 'image/jpeg';
  backend: 'webgpu' | 'cpu';
}

/** Where the page keeps the wasm and the model between runs (persistent profile only; see profile.ts). */
interface KeptAssets {
  version: string;
  wasm: string;
  model: string;
}

interface PageResult {
  envelope: FacialAestheticsEnvelope;
  /** The result Blob is on window.__cliOutput (Node reads it over CDP). */
  kept?: true;
  width?: number;
  height?: number;
  faces?: number;
  warning?: string;
}

/** `--edit NAME=X`: NAME a shape name or id 0–21, X a signed strength in [-1, 1]. */
export function parseEditFlag(flag: string): Edit {
  const m = /^\s*([A-Za-z_0-9]+)\s*=\s*(\S+)\s*$/.exec(flag);
  if (!m) throw new FaceReshapeError('INVALID_ARGUMENT', `--edit must look like NAME=X (e.g. --edit slim_face=0.6 or --edit 8=-0.3); got "${flag}".`);
  const strength = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(m[2]) ? Number(m[2]) : NaN;
  if (!Number.isFinite(strength)) throw new FaceReshapeError('INVALID_ARGUMENT', `--edit ${flag}: the strength "${m[2]}" is not a number; use a number in [-1, 1].`);
  const shape = /^\d+$/.test(m[1]) ? Number(m[1]) : m[1];
  const edit = { shape, strength } as Edit;
  normalizeEdits(edit); // unknown shape / out-of-range strength → typed error
  return edit;
}

/** OUT's extension picks the encoding (`--format` for `-`, stdout). */
function outputTypeOf(out: string, format: string | undefined): 'image/png' | 'image/jpeg' {
  const byFormat = format === undefined ? undefined : ({ png: 'image/png', jpeg: 'image/jpeg', jpg: 'image/jpeg' } as const)[format.toLowerCase() as 'png'];
  if (format !== undefined && !byFormat) throw new FaceReshapeError('INVALID_ARGUMENT', `--format must be png or jpeg; got "${format}".`);
  if (out === '-') return byFormat ?? 'image/png';
  const ext = extname(out).toLowerCase();
  const byExt = ext === '.png' ? 'image/png' : ext === '.jpg' || ext === '.jpeg' ? 'image/jpeg' : undefined;
  if (!byExt) throw new FaceReshapeError('INVALID_ARGUMENT', `--out ${out}: the extension must be .png, .jpg or .jpeg (it picks the output format).`);
  if (byFormat && byFormat !== byExt) throw new FaceReshapeError('INVALID_ARGUMENT', `--format ${format} disagrees with --out ${out}; drop --format (the extension picks the format).`);
  return byExt;
}

/** OUT can be written: an existing writable file, or a new name in an existing writable folder. Checked before any work. */
function checkWritable(out: string): void {
  const path = resolve(out);
  let st;
  try {
    st = statSync(path);
  } catch {
    st = null;
  }
  const fail = (why: string) => {
    throw new FaceReshapeError('INVALID_ARGUMENT', `--out ${out}: ${why}; choose a path you can write to.`);
  };
  if (st?.isDirectory()) fail('is a folder');
  try {
    if (st) accessSync(path, constants.W_OK);
    else {
      const dir = dirname(path);
      let dst;
      try {
        dst = statSync(dir);
      } catch {
        return fail(`the folder ${dir} does not exist`);
      }
      if (!dst.isDirectory()) fail(`${dir} is not a folder`);
      accessSync(dir, constants.W_OK | constants.X_OK);
    }
  } catch (e) {
    if (e instanceof FaceReshapeError) throw e;
    fail(st ? 'the file is not writable' : `the folder ${dirname(path)} is not writable`);
  }
}

/** IN: a file, or `-` for stdin. */
function readInput(input: string, io: ReshapeCliIo): Buffer {
  try {
    return input === '-' ? (io.stdin ?? (() => readFileSync(0)))() : readFileSync(input);
  } catch (e) {
    throw new FaceReshapeError('INVALID_ARGUMENT', `Cannot read the input image ${input === '-' ? 'from stdin' : input}: ${(e as Error).message}.`);
  }
}

/** [batch] exported: the bytes of `--model FILE` (null without it); INVALID_ARGUMENT when it cannot be read. */
export function readModelFlag(file: string | undefined): Buffer | null {
  if (!file) return null;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new FaceReshapeError('INVALID_ARGUMENT', `Cannot read the model ${file}: ${(e as Error).message}.`);
  }
}

/** Everything checked in Node before Chromium starts: arguments, then the cloud's byte-level checks. */
function precheck(inputs: string[], opts: ReshapeCliOptions, io: ReshapeCliIo): { bytes: Buffer; config: PageConfig; model: Buffer | null; out: string } {
  // [batch] the message names the batch form
  if (inputs.length > 1) throw new FaceReshapeError('INVALID_ARGUMENT', `reshape --out takes one input image; got ${inputs.length} (${inputs.join(', ')}). For many, give --out-dir DIR instead of --out.`);
  if (opts.backend !== undefined && opts.backend !== 'webgpu' && opts.backend !== 'cpu') {
    throw new FaceReshapeError('INVALID_ARGUMENT', `--backend must be webgpu or cpu; got "${opts.backend}".`);
  }
  const edits = (opts.edit ?? []).map(parseEditFlag);
  const bytes = inputs[0] !== undefined ? readInput(inputs[0], io) : undefined;
  // Missing fields, types and ranges, in the cloud's order (shape names accepted on the command line).
  parseFacialAestheticsRequest({ image: bytes, shape_type: opts.shape, strength: opts.strength }, { allowShapeNames: true, editsGiven: edits.length > 0 });
  if (!opts.out) throw new FaceReshapeError('MISSING_ARGUMENT', 'Missing --out OUT: name the output file (.png or .jpg), or - for stdout.');
  const outputType = outputTypeOf(opts.out, opts.format);
  if (opts.out === '-' && opts.json) throw new FaceReshapeError('INVALID_ARGUMENT', '--out - writes the image to stdout, where --json would print too; use one of them.');
  if (opts.out !== '-') checkWritable(opts.out);
  checkCloudImage(bytes!);
  return {
    bytes: bytes!,
    out: opts.out,
    model: readModelFlag(opts.model),
    config: { shape_type: opts.shape, strength: opts.strength, edits, outputType, backend: (opts.backend as 'webgpu' | 'cpu') ?? 'webgpu' },
  };
}

function exitCodeOf(env: FacialAestheticsEnvelope): number {
  if (env.error_code === 0) return 0;
  return env.error_code >= 500 ? 1 : 2;
}

/**
 * `face-reshape reshape IN --shape S --strength X --out OUT [--edit NAME=X ...] [--json] [--backend webgpu|cpu]`.
 * Validates like the cloud; `--json` prints the cloud envelope (`data.image_url` = file:// URL of OUT).
 * Exit 0 on success, 2 on a 4xx error, 1 on a 5xx error.
 */
export async function runReshape(inputs: string[], opts: ReshapeCliOptions, io: ReshapeCliIo): Promise<number> {
  let env: FacialAestheticsEnvelope;
  let summary = '';
  try {
    const { bytes, config, model, out } = precheck(inputs, opts, io);
    const res = await reshapeOnPage(await io.page(), bytes, config, model);
    if (res.warning) io.stderr(`face-reshape: warning: ${res.warning}`);
    env = res.envelope;
    if (env.error_code === 0 && res.output !== undefined) {
      try {
        const image = res.output;
        if (out === '-') {
          (io.stdoutBytes ?? ((b: Buffer) => process.stdout.write(b)))(image);
          env.data = { image_url: '' };
          io.stderr(`${inputs[0]} → stdout: ${res.width}×${res.height}, ${res.faces} face(s) reshaped`);
        } else {
          writeFileSync(out, image);
          env.data = { image_url: pathToFileURL(resolve(out)).href };
          summary = `${inputs[0]} → ${out}: ${res.width}×${res.height}, ${res.faces} face(s) reshaped`;
        }
      } catch (e) {
        env = errorEnvelope('SERVICE_INTERNAL_ERROR', `The image was reshaped but ${out} could not be written: ${(e as Error).message}. Check that the folder exists and is writable.`);
      }
    }
  } catch (e) {
    env = envelopeFromError(e);
  }
  if (env.error_code !== 0) io.stderr(`face-reshape: error ${env.error_code} ${env.error_detail.code}: ${env.error_detail.message}`);
  if (opts.json) io.stdout(JSON.stringify(env));
  else if (summary) io.stdout(summary);
  return exitCodeOf(env);
}

/** Where reshapeInPage leaves the result Blob. */
const OUTPUT = '__cliOutput';

/** The result Blob the page left on window.__cliOutput, read over CDP (page-blob.ts). */
export function readOutput(page: Page): Promise<Buffer> {
  return readPageBlob(page, OUTPUT);
}

/**
 * One reshape in the page, shared by both forms of the command: the image (and a custom model, for a
 * page whose reshaper is not made yet) reach the page as intercepted responses, and the result comes
 * back as a Blob read over CDP; no base64 is built or parsed in JavaScript either way.
 */
export async function reshapeOnPage(rp: RuntimePage & { assetVersion?: string | null }, image: Buffer, config: PageConfig, model: Buffer | null): Promise<PageResult & { output?: Buffer }> {
  const input = `/jobs/${randomUUID()}`;
  const modelPath = model ? `/jobs/model-${randomUUID()}` : null;
  const withdraw = [rp.offer(input, image, 'application/octet-stream'), ...(model && modelPath ? [rp.offer(modelPath, model, 'application/octet-stream')] : [])];
  try {
    const kept: KeptAssets | null = rp.assetVersion ? { version: rp.assetVersion, wasm: KEPT_ASSETS[0].path, model: KEPT_ASSETS[1].path } : null;
    const res = await rp.page.evaluate(reshapeInPage, input, modelPath, config, kept);
    return res.kept ? { ...res, output: await readOutput(rp.page) } : res;
  } finally {
    for (const w of withdraw) w();
  }
}

/** Runs in the page (self-contained: puppeteer serialises it). One reshaper per page, created on first use; the image and model are fetched from the paths Node offered. */
// [batch] exported: the batch form (reshape-batch.ts) runs the same page code per file.
export async function reshapeInPage(input: string, model: string | null, config: PageConfig, kept: KeptAssets | null): Promise<PageResult> {
  const w = window as unknown as { lib: any; compat: any; __cliReshaper?: any; __cliOutput?: Blob };
  const bytesOf = async (path: string) => {
    const got = await fetch(path);
    if (!got.ok) throw new Error(`${path} was not offered (${got.status})`);
    return new Uint8Array(await got.arrayBuffer());
  };
  /** Object URLs made here, revoked once the reshaper is made (it keeps what it loaded from them). */
  const urls: string[] = [];
  /** An object URL of the file at `path`, from the origin's Cache Storage (fetched and put there on the first run of this version). */
  const keptUrl = async (path: string, version: string): Promise<string> => {
    const cache = await caches.open('face-reshape-assets');
    const key = new URL(`${path}?v=${version}`, location.href).href;
    let res = await cache.match(key);
    if (!res) {
      const got = await fetch(path);
      if (!got.ok) throw new Error(`${path}: HTTP ${got.status}`);
      await cache.put(key, got.clone());
      for (const old of await cache.keys()) if (old.url !== key && new URL(old.url).pathname === path) await cache.delete(old);
      res = got;
    }
    const url = URL.createObjectURL(await res.blob());
    urls.push(url);
    return url;
  };
  let warning: string | undefined;
  try {
    if (!w.__cliReshaper) {
      const modelAssetBuffer = model ? await bytesOf(model) : undefined;
      const opts: Record<string, unknown> = { maxFaces: 4, modelAssetBuffer };
      if (kept) {
        // Not kept (Cache Storage refused, a file missing): the library fetches its files itself, as without a profile.
        try {
          const wasmBinaryPath = await keptUrl(kept.wasm, kept.version);
          opts.wasmFileset = { wasmLoaderPath: new URL('/dist/wasm/vision_wasm_internal.js', location.href).href, wasmBinaryPath };
          if (!model) opts.modelAssetPath = await keptUrl(kept.model, kept.version);
        } catch {
          delete opts.wasmFileset;
        }
      }
      try {
        try {
          w.__cliReshaper = await w.lib.FaceReshaper.create({ ...opts, backend: config.backend });
        } catch (e: any) {
          if (config.backend !== 'webgpu' || e?.code !== 'WEBGPU_UNAVAILABLE') throw e;
          warning = `${e.message} Falling back to the CPU warp (--backend cpu).`;
          w.__cliReshaper = await w.lib.FaceReshaper.create({ ...opts, backend: 'cpu' });
        }
      } finally {
        for (const url of urls) URL.revokeObjectURL(url);
      }
    }
    const image = await bytesOf(input);
    const req: Record<string, unknown> = { image };
    if (config.shape_type !== undefined) req.shape_type = config.shape_type;
    if (config.strength !== undefined) req.strength = config.strength;
    const res = await w.compat.runFacialAesthetics(req, { reshaper: w.__cliReshaper, edits: config.edits, outputType: config.outputType, allowShapeNames: true });
    if (!res.output) return { envelope: res.envelope, warning };
    w.__cliOutput = res.output; // OUTPUT's name; this function must stay self-contained
    return { envelope: res.envelope, kept: true, width: res.width, height: res.height, faces: res.faces.length, warning };
  } catch (e) {
    return { envelope: w.compat.envelopeFromError(e), warning };
  }
}
