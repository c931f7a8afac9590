import { FilesetResolver } from '@mediapipe/tasks-vision';
import { FaceReshapeError } from '../errors.js';

/** The two files of tasks-vision's wasm, by URL (the shape of its own `WasmFileset`). */
export interface WasmFileset {
  /** The Emscripten loader script, e.g. `…/vision_wasm_internal.js`. */
  wasmLoaderPath: string;
  /** The binary, e.g. `…/vision_wasm_internal.wasm`. */
  wasmBinaryPath: string;
}

/**
 * The face model and tasks-vision's wasm, as shipped in this package. Each URL is a literal
 * `new URL('…', import.meta.url)`, the one form every bundler (Vite, webpack 5, Rollup, Parcel,
 * esbuild with its loader) recognises: it copies the file into the app's build, usually under a
 * hashed name, and rewrites the URL. Unbundled (a plain `<script type="module">` page, the CLI's
 * Chromium) the URLs resolve next to the module's own file.
 *
 * The paths are relative to the BUILT module: the library build puts every chunk directly in
 * `dist/`, the model in `models/` beside it and the wasm in `dist/wasm/` (vite.config.ts). The
 * source files have no such neighbours, so the library build leaves these expressions as they are
 * for the app's bundler to resolve; Vite's dev server gets a rule of its own (ownFile()). Only
 * the SIMD build of the wasm ships (every browser with WebGPU has wasm SIMD; see requireSimd()).
 */
export function defaultModelUrl(): string {
  return ownFile(new URL('../models/face_landmarker.task', import.meta.url), 'models/face_landmarker.task');
}

export function defaultWasmFileset(): WasmFileset {
  return {
    wasmLoaderPath: ownFile(new URL('./wasm/vision_wasm_internal.js', import.meta.url), 'dist/wasm/vision_wasm_internal.js'),
    wasmBinaryPath: ownFile(new URL('./wasm/vision_wasm_internal.wasm', import.meta.url), 'dist/wasm/vision_wasm_internal.wasm'),
  };
}

/** Where Vite's dev server runs dependencies from: it pre-bundles them into `<root>/node_modules/.vite/deps/`. */
const VITE_DEPS = /\/node_modules\/\.vite\/deps(_temp_[^/]*)?\/[^/]*$/;

/**
 * The URL of one of the package's files. Vite's dev server pre-bundles dependencies into
 * `node_modules/.vite/deps/` without their files, so there the relative URL points nowhere; the
 * dev server does serve the package's own folder, two levels up (`node_modules/webgpu-face-reshape/`).
 * That URL is joined from parts so no bundler mistakes it for one more file to emit.
 */
function ownFile(url: URL, pathInPackage: string): string {
  if (!VITE_DEPS.test(new URL(import.meta.url).pathname)) return url.href;
  return new URL(['..', '..', 'webgpu-face-reshape', pathInPackage].join('/'), import.meta.url).href;
}

/** Options naming where the assets come from (LandmarkDetectorOptions and the reshapers share them). */
export interface AssetOptions {
  /** URL of a Face Landmarker `.task` bundle. Default: the bundle shipped in this package. */
  modelAssetPath?: string;
  /** The bundle's bytes (e.g. Google's official `face_landmarker.task`); wins over modelAssetPath. */
  modelAssetBuffer?: Uint8Array;
  /** A folder serving `vision_wasm_internal.js` and `vision_wasm_internal.wasm`. Default: the files shipped in this package. */
  wasmBaseUrl?: string;
  /** The two wasm files by their own URLs (e.g. hashed names from a bundler); wins over wasmBaseUrl. */
  wasmFileset?: WasmFileset;
}

/** The wasm files these options name (absolute URLs where the options gave relative ones, resolved against the document). */
export function wasmFilesetOf(opts: AssetOptions): WasmFileset {
  if (opts.wasmFileset) return opts.wasmFileset;
  if (opts.wasmBaseUrl !== undefined) {
    const base = opts.wasmBaseUrl.replace(/\/?$/, '/');
    return { wasmLoaderPath: `${base}vision_wasm_internal.js`, wasmBinaryPath: `${base}vision_wasm_internal.wasm` };
  }
  return defaultWasmFileset();
}

/** The model URL these options name, or null when they carry the model's bytes. */
export function modelUrlOf(opts: AssetOptions): string | null {
  return opts.modelAssetBuffer ? null : (opts.modelAssetPath ?? defaultModelUrl());
}

/** The smallest valid wasm module: its magic number and version. */
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * Only the SIMD wasm ships: say so, with the fix, on a browser without wasm SIMD. A page whose
 * Content-Security-Policy forbids compiling wasm fails the same probe, so that is told apart first.
 */
export async function requireSimd(): Promise<void> {
  if (await FilesetResolver.isSimdSupported()) return;
  try {
    await WebAssembly.compile(EMPTY_WASM);
  } catch (e) {
    throw new FaceReshapeError('MODEL_LOAD_FAILED',
      `This page may not compile WebAssembly (${e instanceof Error ? e.message : String(e)}), and the face model runs in it. ` +
        "Add 'wasm-unsafe-eval' to the script-src of the page's Content-Security-Policy.",
      { cause: e },
    );
  }
  throw new FaceReshapeError('MODEL_LOAD_FAILED',
    'This browser does not support WebAssembly SIMD, which the face model needs (the package ships only the SIMD build of MediaPipe tasks-vision). ' +
      "Use a current browser (Chrome/Edge 91+, Firefox 89+, Safari 16.4+), or serve tasks-vision's vision_wasm_nosimd_internal.{js,wasm} yourself and pass them as wasmFileset.",
  );
}

/**
 * After a failed load, asks each asset URL again to say what went wrong in words: a missing
 * file (HTTP 404), or a page where a file should be (`text/html`: typically a single-page app's
 * fallback route answering every unknown path). Returns '' when every URL looks right.
 */
export async function diagnoseAssets(opts: AssetOptions): Promise<string> {
  const files = wasmFilesetOf(opts);
  const model = modelUrlOf(opts);
  const checks: Array<{ what: string; url: string; fix: string; type: RegExp }> = [
    { what: 'the wasm loader', url: files.wasmLoaderPath, fix: 'wasmBaseUrl or wasmFileset', type: /javascript|ecmascript/ },
    { what: 'the wasm binary', url: files.wasmBinaryPath, fix: 'wasmBaseUrl or wasmFileset', type: /wasm|octet-stream/ },
  ];
  if (model) checks.push({ what: 'the face model', url: model, fix: 'modelAssetPath (or modelAssetBuffer with its bytes)', type: /octet-stream|zip|binary/ });
  const problems: string[] = [];
  for (const c of checks) {
    const p = await probe(c.url);
    if (p === null) continue;
    if ('error' in p) {
      problems.push(`${c.what} (${c.url}) could not be fetched (${p.error}); check the URL, the network and the page's Content-Security-Policy (connect-src, script-src)`);
    } else if (!p.ok) {
      problems.push(`${c.what} (${c.url}) answered HTTP ${p.status}${p.type ? ` (${p.type})` : ''}: the file is not served there. Serve it at that URL, or pass ${c.fix}`);
    } else if (/text\/html/i.test(p.type)) {
      problems.push(
        `${c.what} (${c.url}) answered HTTP ${p.status} with ${p.type}: the server sent a page instead of the file (a single-page-app fallback route answers this way for files it does not have). Serve the file at that URL, or pass ${c.fix}`,
      );
    } else if (p.type && !c.type.test(p.type)) {
      problems.push(`${c.what} (${c.url}) answered HTTP ${p.status} with ${p.type}, not the file's type; check what the server maps that path to, or pass ${c.fix}`);
    }
  }
  return problems.join('; ');
}

/** Status and content type of a URL, without reading its body; null where it cannot be asked (e.g. no fetch). */
async function probe(url: string): Promise<{ ok: boolean; status: number; type: string } | { error: string } | null> {
  if (typeof fetch !== 'function' || url.startsWith('blob:') || url.startsWith('data:')) return null;
  try {
    let res = await fetch(url, { method: 'HEAD', cache: 'no-store' });
    if (res.status === 405 || res.status === 501) {
      res = await fetch(url, { cache: 'no-store' });
      void res.body?.cancel();
    }
    return { ok: res.ok, status: res.status, type: (res.headers.get('content-type') ?? '').split(';')[0].trim() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
