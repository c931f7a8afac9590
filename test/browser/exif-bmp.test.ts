import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { usePage } from '../support/browser';
import { bmpBytes, pngBomb, PNG_FIXTURE } from '../support/compat-cases';

/**
 * EXIF orientation (all 8) and BMP (24/32-bit, bottom-up and top-down) decoding in real Chromium,
 * through the native API and the compat function; plus the native API's own input checks.
 */

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('EXIF orientation, BMP and native input checks (headless Chromium)', () => {
  const page = usePage();

  it('reads JPEGs with EXIF orientation 1–8 upright: same face box within 2 %, upright output without EXIF', async () => {
    const res = await page().page.evaluate(async () => {
      const w = window as any;
      const src = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob());
      const W = src.width;
      const H = src.height;
      // Maps upright (x, y) to stored pixels, so that applying orientation o to the stored image gives the upright one.
      const T: Record<number, [number, number, number, number, number, number]> = {
        1: [1, 0, 0, 1, 0, 0],
        2: [-1, 0, 0, 1, W, 0],
        3: [-1, 0, 0, -1, W, H],
        4: [1, 0, 0, -1, 0, H],
        5: [0, 1, 1, 0, 0, 0],
        6: [0, -1, 1, 0, 0, W],
        7: [0, -1, -1, 0, H, W],
        8: [0, 1, -1, 0, H, 0],
      };
      /** A minimal EXIF APP1 segment (big-endian TIFF, IFD0 with the orientation tag only). */
      const app1 = (o: number) => {
        const tiff = [0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0];
        const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
        const len = payload.length + 2;
        return [0xff, 0xe1, len >> 8, len & 0xff, ...payload];
      };
      const reshaper = await w.lib.FaceReshaper.create({ maxFaces: 1 });
      const out: any[] = [];
      for (let o = 1; o <= 8; o++) {
        const swap = o >= 5;
        const c = new OffscreenCanvas(swap ? H : W, swap ? W : H);
        const ctx = c.getContext('2d')!;
        ctx.setTransform(...T[o]);
        ctx.drawImage(src, 0, 0);
        const jpeg = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 })).arrayBuffer());
        const bytes = new Uint8Array([0xff, 0xd8, ...app1(o), ...jpeg.subarray(2)]);
        const header = w.internals.readImageHeader(bytes, 'jpeg');
        const faces = await reshaper.detect(new Blob([bytes]));
        const env = await w.compat.facialAesthetics({ image: bytes, shape_type: 8, strength: 0 }, { reshaper });
        let output: any = null;
        if (env.data) {
          const blob = await (await fetch(env.data.image_url)).blob();
          const ob = new Uint8Array(await blob.arrayBuffer());
          const outFaces = await reshaper.detect(blob);
          const bmp = await createImageBitmap(blob);
          output = { width: bmp.width, height: bmp.height, jpeg: ob[0] === 0xff && ob[1] === 0xd8, exif: new TextDecoder('latin1').decode(ob.subarray(0, 4096)).includes('Exif\0'), box: outFaces[0]?.box };
          bmp.close();
          URL.revokeObjectURL(env.data.image_url);
        }
        out.push({ o, stored: [c.width, c.height], header, boxes: faces.map((f: any) => f.box), env, output });
      }
      reshaper.close();
      return { W, H, out };
    });
    const ref = res.out[0].boxes[0] as number[];
    expect(ref).toBeDefined();
    const tol = [0.02 * (ref[2] - ref[0]), 0.02 * (ref[3] - ref[1])];
    const rows: string[] = [];
    for (const r of res.out) {
      expect(r.header, `orientation ${r.o}: header`).toMatchObject({ orientation: r.o, width: r.stored[0], height: r.stored[1], uprightWidth: res.W, uprightHeight: res.H });
      expect(r.boxes, `orientation ${r.o}: one face`).toHaveLength(1);
      const box = r.boxes[0] as number[];
      rows.push(`orientation ${r.o}: stored ${r.stored.join('×')}, box ${box.map((v) => v.toFixed(1)).join(', ')} (ref ${ref.map((v) => v.toFixed(1)).join(', ')})`);
      for (let k = 0; k < 4; k++) expect(Math.abs(box[k] - ref[k]), `orientation ${r.o}: box[${k}]`).toBeLessThanOrEqual(tol[k % 2]);
      expect(r.env.error_code, `orientation ${r.o}: ${r.env.error_msg}`).toBe(0);
      expect(r.output).toMatchObject({ width: res.W, height: res.H, jpeg: true, exif: false });
      for (let k = 0; k < 4; k++) expect(Math.abs(r.output.box[k] - ref[k]), `orientation ${r.o}: output box[${k}]`).toBeLessThanOrEqual(tol[k % 2]);
    }
    console.log(rows.join('\n'));
  });

  it('decodes 24- and 32-bit BMPs (bottom-up and top-down) bit for bit; compat turns them into PNG', async () => {
    const png = PNG.sync.read(readFileSync(PNG_FIXTURE));
    const rgba = new Uint8Array(png.data);
    const bmps = {
      'bmp24 bottom-up': b64(bmpBytes(png.width, png.height, rgba, 24)),
      'bmp32 bottom-up': b64(bmpBytes(png.width, png.height, rgba, 32)),
      'bmp24 top-down': b64(bmpBytes(png.width, png.height, rgba, 24, true)),
    };
    const res = await page().page.evaluate(
      async (bmps: Record<string, string>, ref: string) => {
        const w = window as any;
        const bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
        const want = bytes(ref);
        const reshaper = await w.lib.FaceReshaper.create({ maxFaces: 1, backend: 'cpu' });
        const out: any = {};
        for (const [name, b] of Object.entries(bmps)) {
          const bmp = bytes(b);
          const r = await reshaper.reshape(bmp, { shape: 'slim_face', strength: 0 });
          let diff = 0;
          for (let i = 0; i < want.length; i++) if ((i & 3) !== 3 && r.image.data[i] !== want[i]) diff++;
          const env = await w.compat.facialAesthetics({ image: new File([bmp], 'x.bmp'), shape_type: 2, strength: 1 });
          let output = null;
          if (env.data) {
            const blob = await (await fetch(env.data.image_url)).blob();
            const ob = new Uint8Array(await blob.arrayBuffer());
            const ib = await createImageBitmap(blob);
            output = { png: ob[0] === 0x89 && ob[1] === 0x50, width: ib.width, height: ib.height };
            ib.close();
          }
          out[name] = { size: [r.width, r.height], faces: r.faces.length, diff, code: env.error_code, output };
        }
        reshaper.close();
        return out;
      },
      bmps,
      b64(rgba),
    );
    for (const [name, r] of Object.entries(res as Record<string, any>)) {
      expect(r, name).toEqual({ size: [512, 512], faces: 1, diff: 0, code: 0, output: { png: true, width: 512, height: 512 } });
    }
  });

  it('native API: accepts WebP and GIF, sniffs the type, and refuses oversized headers with a typed error before decoding', async () => {
    const res = await page().page.evaluate(
      async (bomb: string) => {
        const w = window as any;
        const bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
        const reshaper = await w.lib.FaceReshaper.create({ maxFaces: 1, backend: 'cpu' });
        const out: any = {};
        const gif = bytes('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==');
        const webp = bytes('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==');
        for (const [name, src] of [['gif', gif], ['webp', webp]] as const) {
          const r = await reshaper.reshape(src, { shape: 'big_eyes', strength: 1 });
          out[name] = { size: [r.width, r.height], faces: r.faces.length };
        }
        const code = async (src: any) => {
          const t0 = performance.now();
          try {
            await reshaper.detect(src);
            return { code: 'none', ms: performance.now() - t0 };
          } catch (e: any) {
            return { name: e.name, code: e.code, ms: performance.now() - t0, message: e.message };
          }
        };
        out.bomb = await code(new Blob([bytes(bomb)]));
        out.tiff = await code(new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 0, 0]));
        out.text = await code(new TextEncoder().encode('not an image'));
        out.empty = await code(new ArrayBuffer(0));
        out.truncated = await code((await (await fetch('/test-fixtures/grace_hopper.jpg')).blob()).slice(0, 20000));
        // A decode failure leaves the reshaper usable.
        out.after = (await reshaper.detect(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob())).length;
        reshaper.close();
        return out;
      },
      b64(pngBomb(30000, 30000)),
    );
    expect(res.gif).toEqual({ size: [1, 1], faces: 0 });
    expect(res.webp).toEqual({ size: [1, 1], faces: 0 });
    expect(res.bomb).toMatchObject({ name: 'FaceReshapeError', code: 'IMAGE_TOO_LARGE' });
    expect(res.bomb.message).toMatch(/30000×30000/);
    expect(res.bomb.ms).toBeLessThan(500);
    expect(res.tiff).toMatchObject({ name: 'FaceReshapeError', code: 'UNSUPPORTED_FORMAT' });
    expect(res.text).toMatchObject({ name: 'FaceReshapeError', code: 'UNSUPPORTED_FORMAT' });
    expect(res.empty).toMatchObject({ name: 'FaceReshapeError', code: 'UNSUPPORTED_FORMAT' });
    expect(res.truncated).toMatchObject({ name: 'FaceReshapeError', code: 'DECODE_FAILED' });
    expect(res.after).toBe(1);
  });
});
