import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/env';

const run = promisify(execFile);
const BIN = resolve(ROOT, 'packages/face-reshape/bin/face-reshape.js');

describe('face-reshape detect (CLI, headless Chromium)', () => {
  it('prints one JSON line per image with 478 landmarks, box and pose in upright pixels', async () => {
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
      expect(Object.keys(f).sort()).toEqual(['box', 'landmarks', 'pose']);
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
});
