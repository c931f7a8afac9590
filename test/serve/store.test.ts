import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEditField } from '../../src/compat/edit-fields';
import { CLOUD_CODE_OF } from '../../src/compat/envelope';
import { RESULT_NAME, ResultStore, StoreFullError } from '../../packages/face-reshape/src/serve/store';

const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-store-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('result store', () => {
  it('names results with 144 random bits; only well-formed names are looked up', async () => {
    const s = new ResultStore();
    const names = new Set<string>();
    for (let i = 0; i < 500; i++) names.add(await s.put(Buffer.from([i & 255]), i % 2 ? 'image/png' : 'image/jpeg'));
    expect(names.size).toBe(500);
    for (const n of names) expect(n).toMatch(RESULT_NAME);
    const one = [...names][1];
    expect((await s.get(one))?.type).toBe('image/png');
    for (const bad of ['../' + one, one + '/', one.toUpperCase(), one.replace('.png', '.jpg'), '', '.', '..', '%2e%2e', one.slice(1)]) expect(await s.get(bad), bad).toBeNull();
    await s.close();
  });

  it('expires results after the TTL and caps the bytes kept (oldest dropped first, once past the minimum lifetime)', async () => {
    const s = new ResultStore({ ttlMs: 200, maxBytes: 1000, minLifetimeMs: 0 });
    const a = await s.put(Buffer.alloc(400), 'image/png');
    const b = await s.put(Buffer.alloc(400), 'image/png');
    const c = await s.put(Buffer.alloc(400), 'image/png');
    expect(await s.get(a)).toBeNull(); // evicted by the cap
    expect((await s.get(b))?.size).toBe(400);
    expect(s.stats).toEqual({ count: 2, bytes: 800 });
    await new Promise((r) => setTimeout(r, 250));
    expect(await s.get(c)).toBeNull();
    await s.sweep();
    expect(s.stats).toEqual({ count: 0, bytes: 0 });
    await s.close();
  });

  it('on disk: files 0600 under their names, removed on expiry, earlier results picked up, foreign files ignored', async () => {
    const dir = join(TMP, 'r');
    const s = new ResultStore({ dir, ttlMs: 60_000 });
    const n = await s.put(Buffer.from('png bytes'), 'image/png');
    expect(readdirSync(dir)).toEqual([n]);
    expect(statSync(join(dir, n)).mode & 0o777).toBe(0o600);
    await s.close();
    writeFileSync(join(dir, 'secret.txt'), 'x');
    const again = new ResultStore({ dir, ttlMs: 60_000 });
    expect((await again.get(n))?.bytes.toString()).toBe('png bytes');
    expect(await again.get('secret.txt')).toBeNull();
    await again.close(true);
    expect(readdirSync(dir)).toEqual(['secret.txt']);
  });
});

describe('result store under pressure and in a hostile folder', () => {
  it('never drops a result younger than the minimum lifetime: the new one is refused (StoreFullError with a retry delay)', async () => {
    const s = new ResultStore({ ttlMs: 60_000, maxBytes: 1000, minLifetimeMs: 30_000 });
    const a = await s.put(Buffer.alloc(400), 'image/png');
    const b = await s.put(Buffer.alloc(400), 'image/png');
    const err = await s.put(Buffer.alloc(400), 'image/png').catch((e) => e);
    expect(err).toBeInstanceOf(StoreFullError);
    expect(err.retryAfterS).toBeGreaterThan(0);
    expect(err.retryAfterS).toBeLessThanOrEqual(30);
    expect((await s.get(a))?.size).toBe(400);
    expect((await s.get(b))?.size).toBe(400);
    expect(s.stats).toEqual({ count: 2, bytes: 800 });
    await s.close();
  });

  it('creates its folder 0700, refuses one writable by others, and never indexes or serves a planted symlink', async () => {
    const fresh = join(TMP, 'fresh', 'results');
    const s = new ResultStore({ dir: fresh });
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    await s.close();

    const open = join(TMP, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => new ResultStore({ dir: open })).toThrow(/writable by every user.*chmod 700/);
    chmodSync(open, 0o770);
    expect(() => new ResultStore({ dir: open })).toThrow(/writable by its group/);

    const dir = join(TMP, 'planted');
    mkdirSync(dir, { mode: 0o700 });
    const secret = join(TMP, 'secret.txt');
    writeFileSync(secret, 'top secret');
    const name = 'A'.repeat(24) + '.png';
    symlinkSync(secret, join(dir, name));
    const t = new ResultStore({ dir });
    expect(t.stats.count).toBe(0);
    expect(await t.get(name)).toBeNull();
    await t.close();
  });
});

describe('edit fields', () => {
  it('reads NAME:X and NAME=X with names or ids; rejects the rest with native codes that map to the cloud codes', () => {
    expect(parseEditField('slim_face:0.6')).toEqual({ shape: 'slim_face', strength: 0.6 });
    expect(parseEditField(' 8 = -0.3 ')).toEqual({ shape: 8, strength: -0.3 });
    const code = (v: string) => {
      try {
        parseEditField(v);
        return 'ok';
      } catch (e) {
        const native = (e as { code: keyof typeof CLOUD_CODE_OF }).code;
        return `${native} ${CLOUD_CODE_OF[native]}`;
      }
    };
    expect(code('slim_face')).toBe('INVALID_ARGUMENT ERROR_INVALID_PARAMETER');
    expect(code('slim_face:abc')).toBe('INVALID_ARGUMENT ERROR_INVALID_PARAMETER');
    expect(code('slim_face:1.5')).toBe('OUT_OF_RANGE UNSUPPORTED_PARAMETER_VALUES');
    expect(code('22:0.5')).toBe('OUT_OF_RANGE UNSUPPORTED_PARAMETER_VALUES');
    expect(code('nose:0.5')).toBe('OUT_OF_RANGE UNSUPPORTED_PARAMETER_VALUES');
  });
});
