import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { oneOf, positiveInt, UsageError } from './args.js';

export interface DetectCliOptions {
  json: boolean;
  'max-faces'?: string;
  tiling?: string;
  delegate?: string;
  model?: string;
}

interface DetectedImage {
  width: number;
  height: number;
  faces: Array<{ box: number[]; landmarks: number[][]; pose: { yaw: number; pitch: number; roll: number } }>;
}

/** `face-reshape detect IN...`: one JSON line per image (or a human summary without --json). */
export async function runDetect(page: Page, inputs: string[], opts: DetectCliOptions, out: (line: string) => void): Promise<number> {
  if (!inputs.length) throw new UsageError('detect needs at least one input image.');
  const config = {
    maxFaces: positiveInt('max-faces', opts['max-faces'], 4),
    tiling: oneOf('tiling', opts.tiling, ['auto', 'off'] as const, 'auto'),
    delegate: oneOf('delegate', opts.delegate, ['cpu', 'gpu'] as const, 'cpu').toUpperCase(),
    model: opts.model ? readFileSync(opts.model).toString('base64') : null,
  };
  let failures = 0;
  for (const file of inputs) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      process.stderr.write(`face-reshape: cannot read ${file}: ${(e as Error).message}\n`);
      failures++;
      continue;
    }
    const res = await page.evaluate(detectInPage, bytes.toString('base64'), config);
    if ('error' in res) {
      process.stderr.write(`face-reshape: ${file}: ${res.error}\n`);
      failures++;
      continue;
    }
    const round = (v: number) => Math.round(v * 100) / 100;
    const faces = res.faces.map((f) => ({
      box: f.box.map(round),
      landmarks: f.landmarks.map((p) => p.map(round)),
      pose: { yaw: round(f.pose.yaw), pitch: round(f.pose.pitch), roll: round(f.pose.roll) },
    }));
    if (opts.json) out(JSON.stringify({ file, width: res.width, height: res.height, faces }));
    else out(`${file}: ${res.width}×${res.height}, ${faces.length} face(s)` + faces.map((f) => `\n  box [${f.box.join(', ')}] yaw ${f.pose.yaw}° pitch ${f.pose.pitch}° roll ${f.pose.roll}°`).join(''));
  }
  return failures ? 1 : 0;
}

/** Runs in the page: decode (EXIF applied), detect. Self-contained: puppeteer serialises it. */
async function detectInPage(
  b64: string,
  config: { maxFaces: number; tiling: 'auto' | 'off'; delegate: string; model: string | null },
): Promise<DetectedImage | { error: string }> {
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
  } catch (e) {
    return { error: (e as Error)?.message ?? String(e) };
  }
}
