// `face-reshape reshape IN... --out-dir DIR`: the real CLI process on real images, many per Chromium.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { facelessPng, JPEG_FIXTURE, PNG_FIXTURE } from '../support/compat-cases';
import { HAS_SHARED, ROOT, SHARED_FIXTURES } from '../support/env';

const BIN = resolve(ROOT, 'packages/face-reshape/bin/face-reshape.js');
const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-batch-'));
// The CLI's persistent profile goes under XDG_CACHE_HOME: keep it inside this test's folder.
const CACHE = join(TMP, 'cache');
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20, env: { ...process.env, XDG_CACHE_HOME: CACHE, FACE_RESHAPE_PROFILE: '', ...env } }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The JSON lines of a --json run, by input. */
function envelopes(r: Run): Map<string, any> {
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  return new Map(lines.map((l) => JSON.parse(l)).map((e) => [e.input, e]));
}

function size(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  if (bytes[0] === 0x89) return PNG.sync.read(bytes);
  return jpeg.decode(bytes, { useTArray: true, maxMemoryUsageInMB: 512 });
}

/** The result is there, decodes as the input's type and has the input's size. */
function expectResult(input: string, out: string, env: any) {
  expect(env?.error_code, JSON.stringify(env)).toBe(0);
  expect(env.data.image_url).toBe(pathToFileURL(out).href);
  expect(existsSync(out), out).toBe(true);
  const outBytes = readFileSync(out);
  expect(outBytes[0] === 0x89 ? 'png' : outBytes[0] === 0xff ? 'jpg' : '?').toBe(/\.jpe?g$/i.test(input) ? 'jpg' : 'png');
  expect(size(out)).toMatchObject((({ width, height }) => ({ width, height }))(size(input)));
}

const SHAPE = ['--shape', 'slim_face', '--strength', '0.6'];

describe('face-reshape reshape IN... --out-dir DIR', () => {
  it(
    'reshapes files, a folder and a pattern in one call; a bad file in the middle gets its envelope and the rest go on; exit is the worst',
    async () => {
      const bad = join(TMP, 'not-an-image.jpg');
      writeFileSync(bad, 'this is text, not a JPEG');
      const faceless = join(TMP, 'faceless.png');
      writeFileSync(faceless, facelessPng());
      // A folder of two photos and a pattern over another folder.
      const folder = join(TMP, 'folder');
      const globbed = join(TMP, 'globbed');
      mkdirSync(folder);
      mkdirSync(globbed);
      const faces = HAS_SHARED ? resolve(SHARED_FIXTURES, 'faces') : null;
      const pick = (name: string, fallback: string) => (faces && existsSync(join(faces, name)) ? join(faces, name) : fallback);
      copyFileSync(pick('face02_grace_hopper.jpg', JPEG_FIXTURE), join(folder, 'a.jpg'));
      copyFileSync(pick('face21_classroom_many_small.jpg', JPEG_FIXTURE), join(folder, 'b.jpg'));
      writeFileSync(join(folder, 'notes.txt'), 'not an image name: skipped');
      copyFileSync(pick('face08_sergey_frontal.png', PNG_FIXTURE), join(globbed, 'c.png'));
      copyFileSync(JPEG_FIXTURE, join(globbed, 'd.jpg')); // not matched by *.png

      // Run 1: files, the middle one not an image (415) → exit 2, both others written.
      const out1 = join(TMP, 'out1');
      // Run 2: a folder, a quoted pattern, a faceless image (422), and a result that cannot be
      // written (a folder stands where it goes: 500) → exit 1, the worst.
      const out2 = join(TMP, 'out2');
      mkdirSync(join(out2, 'blocked.png'), { recursive: true });
      const blocked = join(TMP, 'blocked.png');
      copyFileSync(PNG_FIXTURE, blocked);

      // The two CLIs run at once: one gets the persistent profile, the other a throw-away one.
      const [r1, r2] = await Promise.all([
        cli(['reshape', JPEG_FIXTURE, bad, PNG_FIXTURE, '--out-dir', out1, ...SHAPE, '--json']),
        cli(['reshape', folder, join(globbed, '*.png'), faceless, blocked, '--out-dir', out2, ...SHAPE, '--json']),
      ]);

      const e1 = envelopes(r1);
      expect([...e1.keys()], r1.stderr).toEqual([JPEG_FIXTURE, bad, PNG_FIXTURE]);
      expect(e1.get(bad)).toMatchObject({ error_code: 415, error_code_str: 'UNSUPPORTED_FILE_TYPES' });
      expectResult(JPEG_FIXTURE, join(out1, 'grace_hopper.jpg'), e1.get(JPEG_FIXTURE));
      expectResult(PNG_FIXTURE, join(out1, 'astronaut.png'), e1.get(PNG_FIXTURE));
      expect(r1.code).toBe(2);
      expect(r1.stderr).toMatch(/3 input\(s\): 2 reshaped .* 1 failed \(1 on their input, 0 internal\)/);

      const e2 = envelopes(r2);
      expect([...e2.keys()], r2.stderr).toEqual([join(folder, 'a.jpg'), join(folder, 'b.jpg'), join(globbed, 'c.png'), faceless, blocked]);
      expectResult(join(folder, 'a.jpg'), join(out2, 'a.jpg'), e2.get(join(folder, 'a.jpg')));
      expectResult(join(folder, 'b.jpg'), join(out2, 'b.jpg'), e2.get(join(folder, 'b.jpg')));
      expectResult(join(globbed, 'c.png'), join(out2, 'c.png'), e2.get(join(globbed, 'c.png')));
      expect(existsSync(join(out2, 'd.jpg'))).toBe(false);
      expect(e2.get(faceless)).toMatchObject({ error_code: 422, error_code_str: 'ERROR_NO_FACE_IN_FILE' });
      expect(e2.get(blocked)).toMatchObject({ error_code: 500, error_code_str: 'SERVICE_INTERNAL_ERROR' });
      expect(e2.get(blocked).error_msg).toMatch(/could not be written/);
      expect(r2.code).toBe(1);

      // Whichever run held the profile freed it; the profile is kept for the next run.
      expect(existsSync(join(CACHE, 'face-reshape', 'chromium-profile'))).toBe(true);
      expect(existsSync(join(CACHE, 'face-reshape', 'chromium-profile.lock'))).toBe(false);
    },
    240_000,
  );

  it(
    'runs on a throw-away profile while another CLI holds the persistent one; exit 0 when all succeed',
    async () => {
      const cache = join(TMP, 'cache-held');
      const lock = join(cache, 'face-reshape', 'chromium-profile.lock');
      mkdirSync(join(cache, 'face-reshape', 'chromium-profile'), { recursive: true });
      writeFileSync(lock, String(process.pid)); // this (live) process "holds" it
      const out = join(TMP, 'out3');
      const r = await cli(['reshape', JPEG_FIXTURE, '--out-dir', out, ...SHAPE], { XDG_CACHE_HOME: cache });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${JPEG_FIXTURE} → ${join(out, 'grace_hopper.jpg')}`);
      expectResult(JPEG_FIXTURE, join(out, 'grace_hopper.jpg'), { error_code: 0, data: { image_url: pathToFileURL(join(out, 'grace_hopper.jpg')).href } });
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid)); // not taken over, not removed
    },
    120_000,
  );
});
