// The CLI's persistent profile keeps the wasm and the model in its origin's Cache Storage: intercepted
// responses never reach Chromium's HTTP cache, so without it every run received 16 MB over DevTools.
// Real Chromium, real model, the CLI's own page code (reshapeOnPage), one image per run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reshapeOnPage } from '../../packages/face-reshape/src/cli/reshape';
import { AssetTable } from '../../packages/face-reshape/src/node/assets';
import { LibraryFiles } from '../../packages/face-reshape/src/node/intercept';
import { keptAssetsVersion, KEPT_ASSETS, startProfiledRuntime, type ProfiledPage } from '../../packages/face-reshape/src/node/profile';
import { LIBRARY_ROOT } from '../../packages/face-reshape/src/node/runtime';
import { ROOT } from '../support/env';

const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-profile-'));
const saved = process.env.FACE_RESHAPE_PROFILE;
beforeAll(() => {
  process.env.FACE_RESHAPE_PROFILE = join(TMP, 'profile');
});
afterAll(() => {
  if (saved === undefined) delete process.env.FACE_RESHAPE_PROFILE;
  else process.env.FACE_RESHAPE_PROFILE = saved;
  rmSync(TMP, { recursive: true, force: true });
});

const IMAGE = readFileSync(resolve(ROOT, 'test/fixtures/grace_hopper.jpg'));
const CONFIG = { shape_type: 'slim_face', strength: '0.6', edits: [], outputType: 'image/jpeg' as const, backend: 'webgpu' as const };
const KEPT_PATHS = KEPT_ASSETS.map((a) => a.path);

/** One CLI-like run: a runtime on the profile, one reshape; which of the kept files the page asked the runtime for, and what the origin's cache holds after. */
async function run(options: { disabled?: boolean; version?: string } = {}) {
  const rt = await startProfiledRuntime({ disabled: options.disabled });
  try {
    const rp: ProfiledPage = await rt.newPage();
    const fetched: string[] = [];
    rp.page.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (KEPT_PATHS.includes(path)) fetched.push(path);
    });
    const page = options.version ? { ...rp, assetVersion: options.version } : rp;
    const res = await reshapeOnPage(page, IMAGE, CONFIG, null);
    const kept = await rp.page.evaluate(async () => (await (await caches.open('face-reshape-assets')).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search));
    return { res, fetched, kept: kept.sort(), version: page.assetVersion, profile: rt.profile.dir };
  } finally {
    await rt.close();
  }
}

describe("the CLI's persistent profile", () => {
  it(
    'keeps the wasm and the model after the first run; the next run reads them there instead of asking for them; another version replaces them',
    async () => {
      const first = await run();
      expect(first.profile).toBe(join(TMP, 'profile'));
      expect(first.res.envelope.error_code, JSON.stringify(first.res.envelope)).toBe(0);
      expect(first.res.faces).toBe(1);
      expect(first.version).toMatch(/^[0-9a-f]{24}$/);
      // The version names the bytes on disk (each kept path is the file at that path under the library).
      expect(first.version).toBe(keptAssetsVersion(KEPT_PATHS.map((p) => readFileSync(join(LIBRARY_ROOT, p)))));
      expect(first.fetched.sort()).toEqual([...KEPT_PATHS].sort());
      expect(first.kept).toEqual(KEPT_PATHS.map((p) => `${p}?v=${first.version}`).sort());

      const second = await run();
      expect(second.res.envelope.error_code, JSON.stringify(second.res.envelope)).toBe(0);
      expect(second.res.faces).toBe(1);
      expect(second.fetched).toEqual([]);
      // The same result from the kept files as from the fetched ones.
      expect(second.res.output!.equals(first.res.output!)).toBe(true);

      const next = await run({ version: 'f'.repeat(24) });
      expect(next.res.envelope.error_code).toBe(0);
      expect(next.fetched.sort()).toEqual([...KEPT_PATHS].sort());
      expect(next.kept).toEqual(KEPT_PATHS.map((p) => `${p}?v=${'f'.repeat(24)}`).sort());
    },
    600_000,
  );

  it('keeps nothing on a throw-away profile (--no-profile)', async () => {
    const r = await run({ disabled: true });
    expect(r.profile).toBeNull();
    expect(r.version).toBeNull();
    expect(r.res.envelope.error_code).toBe(0);
    expect(r.fetched.sort()).toEqual([...KEPT_PATHS].sort());
    expect(r.kept).toEqual([]);
  }, 600_000);
});

describe("the kept files' version", () => {
  it('names the bytes the runtime serves: other bytes of the same size and mtime are another version, the same bytes the same one', async () => {
    const dir = join(TMP, 'models');
    mkdirSync(dir, { recursive: true });
    const path = '/models/face_landmarker.task';
    const file = join(dir, 'face_landmarker.task');
    const table = new AssetTable({ mounts: { '/models/': dir } });
    // npm installs every file with the same mtime: only the bytes can tell versions apart.
    const when = new Date('1985-10-26T08:15:00Z');
    const versionOf = async (bytes: Buffer) => {
      writeFileSync(file, bytes);
      utimesSync(file, when, when);
      expect([statSync(file).size, statSync(file).mtimeMs]).toEqual([bytes.length, when.getTime()]);
      const library = new LibraryFiles([path], table);
      // What a page is answered with is what gets hashed.
      expect((await library.get(path))!.base64).toBe(bytes.toString('base64'));
      const read = (await library.bytes())!.get(path)!;
      expect(read.equals(bytes)).toBe(true);
      return keptAssetsVersion([read]);
    };
    const a = Buffer.alloc(64 * 1024, 7);
    const b = Buffer.from(a);
    b[b.length >> 1] ^= 0xff;
    const va = await versionOf(a);
    const vb = await versionOf(b);
    expect(va).toMatch(/^[0-9a-f]{24}$/);
    expect(vb).not.toBe(va);
    expect(await versionOf(Buffer.from(a))).toBe(va);
  });
});
