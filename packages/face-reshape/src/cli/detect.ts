import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { checkCloudImage, envelopeFromError, FaceReshapeError } from 'webgpu-face-reshape/compat';
import { oneOf, positiveInt, UsageError } from './args.js';

export interface DetectCliOptions {
  json: boolean;
  'max-faces'?: string;
  tiling?: string;
  delegate?: string;
  model?: string;
}

export interface DetectCliIo {
  /** Opens (once) the harness page in headless Chromium; only called once an input passed every check made in Node. */
  page: () => Promise<Page>;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Where IN `-` is read from (default: file descriptor 0). */
  stdin?: () => Buffer;
}

interface DetectedImage {
  width: number;
  height: number;
  faces: Array<{ box: number[]; confidence: number; landmarks: number[][]; pose: { yaw: number; pitch: number; roll: number } }>;
}

/**
 * `face-reshape detect IN...`: one JSON line per image (or a human summary without --json).
 * Arguments and the model file are checked before Chromium starts (UsageError / INVALID_ARGUMENT,
 * exit 2); each input gets reshape's checks on its bytes and header before it is decoded, so a
 * small file declaring a huge image is refused (IMAGE_TOO_LARGE) without allocating it.
 * Exit 0 when every image was read, 2 when an input was refused, 1 when one could not be read or failed.
 */
export async function runDetect(inputs: string[], opts: DetectCliOptions, io: DetectCliIo): Promise<number> {
  if (!inputs.length) throw new UsageError('detect needs at least one input image (or - for stdin).');
  let model: string | null = null;
  if (opts.model) {
    try {
      model = readFileSync(opts.model).toString('base64');
    } catch (e) {
      throw new FaceReshapeError('INVALID_ARGUMENT', `Cannot read the model ${opts.model}: ${(e as Error).message}. Pass a Face Landmarker .task file, or leave --model out for the built-in one.`);
    }
  }
  const config = {
    maxFaces: positiveInt('max-faces', opts['max-faces'], 4),
    tiling: oneOf('tiling', opts.tiling, ['auto', 'off'] as const, 'auto'),
    delegate: oneOf('delegate', opts.delegate, ['cpu', 'gpu'] as const, 'cpu').toUpperCase(),
    model,
  };
  let refused = 0;
  let failed = 0;
  const report = (file: string, e: unknown) => {
    const env = envelopeFromError(e);
    io.stderr(`face-reshape: ${file}: error ${env.error_code} ${env.error_detail.code}: ${env.error_detail.message}`);
    if (opts.json) io.stdout(JSON.stringify({ file, error: env }));
    if (env.error_code >= 500) failed++;
    else refused++;
  };
  for (const file of inputs) {
    let bytes: Buffer;
    try {
      bytes = file === '-' ? (io.stdin ?? (() => readFileSync(0)))() : readFileSync(file);
    } catch (e) {
      io.stderr(`face-reshape: cannot read ${file}: ${(e as Error).message}`);
      failed++;
      continue;
    }
    try {
      checkCloudImage(bytes); // type, size, header dimensions, damage: before any decoding
    } catch (e) {
      report(file, e);
      continue;
    }
    const page = await io.page();
    const res = await page.evaluate(detectInPage, bytes.toString('base64'), config);
    if ('error' in res) {
      report(file, new FaceReshapeError(res.code ?? 'INTERNAL', res.error));
      continue;
    }
    const round = (v: number) => Math.round(v * 100) / 100;
    const faces = res.faces.map((f) => ({
      box: f.box.map(round),
      confidence: Math.round(f.confidence * 1000) / 1000,
      landmarks: f.landmarks.map((p) => p.map(round)),
      pose: { yaw: round(f.pose.yaw), pitch: round(f.pose.pitch), roll: round(f.pose.roll) },
    }));
    if (opts.json) io.stdout(JSON.stringify({ file, width: res.width, height: res.height, faces }));
    else io.stdout(`${file}: ${res.width}×${res.height}, ${faces.length} face(s)` + faces.map((f) => `\n  box [${f.box.join(', ')}] confidence ${f.confidence} yaw ${f.pose.yaw}° pitch ${f.pose.pitch}° roll ${f.pose.roll}°`).join(''));
  }
  return failed ? 1 : refused ? 2 : 0;
}

/** Runs in the page: decode (EXIF applied), detect. Self-contained: puppeteer serialises it. */
async function detectInPage(
  b64: string,
  config: { maxFaces: number; tiling: 'auto' | 'off'; delegate: string; model: string | null },
): Promise<DetectedImage | { error: string; code?: any }> {
  const w = window as unknown as { lib: any; __detector?: any };
  try {
    if (!w.__detector) {
      const modelAssetBuffer = config.model ? Uint8Array.from(atob(config.model), (c) => c.charCodeAt(0)) : undefined;
      w.__detector = await w.lib.LandmarkDetector.create({ maxFaces: config.maxFaces, tiling: config.tiling, delegate: config.delegate, modelAssetBuffer });
    }
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'from-image' });
    try {
      return { width: bmp.width, height: bmp.height, faces: await w.__detector.detect(bmp) };
    } finally {
      bmp.close();
    }
  } catch (e: any) {
    return { error: e?.message ?? String(e), code: typeof e?.code === 'string' ? e.code : undefined };
  }
}
