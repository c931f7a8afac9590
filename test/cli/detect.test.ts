import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { jpegDeclaring } from '../support/compat-cases';
import { ROOT } from '../support/env';

const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-detect-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const run = promisify(execFile);
const BIN = resolve(ROOT, 'packages/face-reshape/bin/face-reshape.js');

describe('face-reshape detect (CLI, headless Chromium)', () => {
  it('prints one JSON line per image with 478 landmarks, box, confidence and pose in upright pixels', async () => {
    const imgs = [resolve(ROOT, 'test/fixtures/grace_hopper.jpg'), resolve(ROOT, 'test/fixtures/astronaut.png')];
    const { stdout } = await run(process.execPath, [BIN, 'detect', ...imgs, '--json'], { maxBuffer: 64 << 20 });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => [l.file, l.width, l.height])).toEqual([
      [imgs[0], 512, 600],
      [imgs[1], 512, 512],
    ]);
    for (const l of lines) {
      expect(l.faces).toHaveLength(1);
      const f = l.faces[0];
      expect(Object.keys(f).sort()).toEqual(['box', 'confidence', 'landmarks', 'pose']);
      expect(f.confidence).toBeGreaterThanOrEqual(0.65); // the default minFaceConfidence let it through
      expect(f.confidence).toBeLessThanOrEqual(1);
      expect(f.landmarks).toHaveLength(478);
      expect(f.landmarks.every((p: number[]) => p.length === 3 && p.every(Number.isFinite))).toBe(true);
      const [x0, y0, x1, y1] = f.box;
      expect(x0).toBeLessThan(x1);
      expect(y0).toBeLessThan(y1);
      // Every landmark lies inside the box, and the box inside the image.
      for (const [x, y] of f.landmarks) {
        expect(x).toBeGreaterThanOrEqual(x0 - 0.01);
        expect(x).toBeLessThanOrEqual(x1 + 0.01);
        expect(y).toBeGreaterThanOrEqual(y0 - 0.01);
        expect(y).toBeLessThanOrEqual(y1 + 0.01);
      }
      expect(x1).toBeLessThanOrEqual(l.width);
      expect(y1).toBeLessThanOrEqual(l.height);
      for (const k of ['yaw', 'pitch', 'roll']) expect(Math.abs(f.pose[k])).toBeLessThan(30);
    }
  });

  it('exits 2 with a usage message on bad arguments, 1 when an input cannot be read', async () => {
    const bad = await run(process.execPath, [BIN, 'detect', '--max-faces', 'zero', resolve(ROOT, 'test/fixtures/grace_hopper.jpg')]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-faces must be a positive integer/);
    const missing = await run(process.execPath, [BIN, 'detect', '/nonexistent.jpg', '--json']).catch((e) => e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\.jpg/);
  });

  it('refuses a small JPEG declaring 12000×12000 px from its header (IMAGE_TOO_LARGE → 422), before Chromium decodes anything', async () => {
    const small = jpeg.encode({ width: 32, height: 32, data: Buffer.alloc(32 * 32 * 4, 128) }, 90).data;
    const bomb = join(TMP, 'bomb.jpg');
    writeFileSync(bomb, jpegDeclaring(new Uint8Array(small), 12000, 12000));
    // A Chromium that only leaves a mark: refusing the file must not need it.
    const marker = join(TMP, 'chromium-started');
    const fake = join(TMP, 'fake-chromium');
    writeFileSync(fake, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
    chmodSync(fake, 0o755);
    const r = await run(process.execPath, [BIN, 'detect', bomb, '--json'], { env: { ...process.env, CHROMIUM_PATH: fake } }).catch((e) => e);
    expect(r.code, r.stderr).toBe(2);
    const line = JSON.parse(r.stdout.trim());
    expect([line.file, line.error.error_code, line.error.error_detail.code]).toEqual([bomb, 422, 'ERROR_HIGH_RESOLUTION']);
    expect(line.error.error_detail.message).toMatch(/12000×12000/);
    expect(r.stderr).toMatch(/error 422 ERROR_HIGH_RESOLUTION/);
    expect(existsSync(marker), 'Chromium was started').toBe(false);
  });

  it('--model /nope is a clean typed error: exit 2, an envelope with --json, no stack trace', async () => {
    const r = await run(process.execPath, [BIN, 'detect', resolve(ROOT, 'test/fixtures/grace_hopper.jpg'), '--model', '/nope', '--json']).catch((e) => e);
    expect(r.code).toBe(2);
    const env = JSON.parse(r.stdout.trim());
    expect([env.error_code, env.error_detail.code]).toEqual([400, 'ERROR_INVALID_PARAMETER']);
    expect(env.error_detail.message).toMatch(/Cannot read the model \/nope/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

