import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';

/**
 * installCloudRoute() in headless Chromium: browser code written for the cloud, `fetch(CLOUD_URL,
 * { method: 'POST', body: formData })`, gets the cloud's envelope from the local engine. usePage()
 * fails the file if the page requested any host other than the local test server.
 */
describe('in-page cloud route (installCloudRoute)', () => {
  const page = usePage();

  it('answers the cloud URL from the local engine: 200 envelope, blob: image of the input size with the face changed', async () => {
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const original = window.fetch;
      const route = w.compat.installCloudRoute({ reshaper: w.lib.FaceReshaper.create({ tiling: 'off' }) });
      const input = await (await fetch('/test-fixtures/astronaut.png')).blob(); // not the cloud URL: passes through
      const fd = new FormData();
      fd.append('image', input, 'astronaut.png');
      fd.append('shape_type', '2');
      fd.append('strength', '0.6');
      // Exactly what cloud client code does (the key header is accepted and ignored).
      const res = await fetch('https://www.ailabapi.com/api/portrait/effects/face-tidyup', { method: 'POST', body: fd, headers: { 'ailabapi-api-key': 'KEY' } });
      const env = await res.json();
      const out = await (await fetch(env.data.image_url)).blob();
      const pixels = async (b: Blob) => {
        const bmp = await createImageBitmap(b);
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d', { willReadFrequently: true })!;
        ctx.drawImage(bmp, 0, 0);
        return ctx.getImageData(0, 0, bmp.width, bmp.height);
      };
      const a = await pixels(input);
      const b = await pixels(out);
      let changed = 0;
      let sum = 0;
      for (let i = 0; i < a.data.length; i++) {
        const d = Math.abs(a.data[i] - b.data[i]);
        sum += d;
        if (d) changed++;
      }
      // A Request object and the bare host work too; several edits in one pass via edit fields.
      const fd2 = new FormData();
      fd2.append('image', input);
      fd2.append('edit', 'big_eyes:0.6');
      fd2.append('edit', 'slim_face=-0.3');
      const viaRequest = await (await fetch(new Request('https://ailabapi.com/api/portrait/effects/face-tidyup/', { method: 'POST', body: fd2 }))).json();
      const handled = route.handled;
      route.uninstall();
      URL.revokeObjectURL(env.data.image_url);
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        env,
        outType: out.type,
        size: [a.width, a.height, b.width, b.height],
        changed: changed / a.data.length,
        mean: sum / a.data.length,
        viaRequest: [viaRequest.error_code, /^blob:/.test(viaRequest.data?.image_url ?? '')],
        handled,
        restored: window.fetch === original,
      };
    });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(Object.keys(r.env).sort()).toEqual(['data', 'error_code', 'error_code_str', 'error_detail', 'error_msg', 'log_id', 'request_id']);
    expect([r.env.error_code, r.env.error_detail.status_code, r.env.error_code_str]).toEqual([0, 200, '']);
    expect(r.env.data.image_url).toMatch(/^blob:http:\/\/127\.0\.0\.1:\d+\//);
    expect(r.outType).toBe('image/png');
    expect(r.size).toEqual([512, 512, 512, 512]);
    expect(r.changed).toBeGreaterThan(0.005);
    expect(r.changed).toBeLessThan(0.5);
    expect(r.viaRequest).toEqual([0, true]);
    expect(r.handled).toBe(2);
    expect(r.restored).toBe(true);
  });

  it('returns the cloud\'s error envelopes with their HTTP status; other URLs and a custom url option', async () => {
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const route = w.compat.installCloudRoute({ url: '/legacy/face-tidyup', reshaper: w.lib.FaceReshaper.create({ tiling: 'off' }) });
      const png = await (await fetch('/test-fixtures/astronaut.png')).blob();
      const call = async (fields: Array<[string, string | Blob]>, init: RequestInit = {}) => {
        const fd = new FormData();
        for (const [k, v] of fields) fd.append(k, v);
        const res = await fetch('/legacy/face-tidyup', { method: 'POST', body: fd, ...init });
        const e = await res.json();
        return [res.status, e.error_code, e.error_detail.code];
      };
      const gif = Uint8Array.from(atob('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='), (c) => c.charCodeAt(0));
      const big = new Uint8Array(4 * 1024 * 1024);
      big.set(new Uint8Array(await png.arrayBuffer()));
      const out = {
        missing: await call([['shape_type', '2'], ['strength', '0.5']]),
        badType: await call([['image', png], ['shape_type', 'abc'], ['strength', '0.5']]),
        range: await call([['image', png], ['shape_type', '22'], ['strength', '0.5']]),
        gif: await call([['image', new Blob([gif])], ['shape_type', '2'], ['strength', '0.5']]),
        big: await call([['image', new Blob([big])], ['shape_type', '2'], ['strength', '0.5']]),
        twoImages: await call([['image', png], ['image', png], ['shape_type', '2'], ['strength', '0.5']]),
        textImage: await call([['image', 'photo.jpg'], ['shape_type', '2'], ['strength', '0.5']]),
        badEdit: await call([['image', png], ['edit', 'nose:0.5']]),
        notForm: await (async () => {
          const res = await fetch('/legacy/face-tidyup', { method: 'POST', body: '{"image":"x"}', headers: { 'content-type': 'application/json' } });
          return [res.status, (await res.json()).error_detail.code];
        })(),
        get: await (async () => {
          const res = await fetch('/legacy/face-tidyup');
          return [res.status, (await res.json()).error_detail.code];
        })(),
        ok: await call([['image', png], ['shape_type', '8'], ['strength', '1']]),
        passThrough: (await fetch('/test-fixtures/astronaut.png')).status,
      };
      route.uninstall();
      return out;
    });
    expect(r).toEqual({
      missing: [400, 400, 'MISSING_PARAMETERS'],
      badType: [400, 400, 'ERROR_INVALID_PARAMETER'],
      range: [422, 422, 'UNSUPPORTED_PARAMETER_VALUES'],
      gif: [415, 415, 'UNSUPPORTED_FILE_TYPES'],
      big: [413, 413, 'FILE_SIZE_EXCEEDS_LIMIT'],
      twoImages: [400, 400, 'ERROR_INVALID_PARAMETER'],
      textImage: [400, 400, 'ERROR_INVALID_PARAMETER'],
      badEdit: [422, 422, 'UNSUPPORTED_PARAMETER_VALUES'],
      notForm: [400, 'MISSING_PARAMETERS'],
      get: [405, 'METHOD_NOT_ALLOWED'],
      ok: [200, 0, ''],
      passThrough: 200,
    });
  });
});
