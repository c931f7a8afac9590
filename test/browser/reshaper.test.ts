import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';

/** The native API's lifecycle: ownership, idempotent close, device loss, serialised calls, output kinds. */
describe('FaceReshaper lifecycle in headless Chromium', () => {
  const page = usePage();

  it('close() is idempotent; calls after close reject with CLOSED', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const rs = await FaceReshaper.create({ tiling: 'off' });
      rs.close();
      rs.close();
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      return Promise.all([
        rs.reshape(blob, { shape: 'slim_face', strength: 1 }).then(() => 'ok', (e: any) => `${e.name}:${e.code}`),
        rs.detect(blob).then(() => 'ok', (e: any) => `${e.name}:${e.code}`),
      ]);
    });
    expect(r).toEqual(['FaceReshapeError:CLOSED', 'FaceReshapeError:CLOSED']);
  });

  it('an owned device that is lost is replaced on the next call; an app device that is lost raises DEVICE_LOST', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const owned = await FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
      (owned as any).gpu.device.destroy();
      await new Promise((res) => setTimeout(res, 50));
      const a = await owned.reshape(blob, { shape: 'big_eyes', strength: 1 }).then((x: any) => `ok:${x.faces.length}`, (e: any) => `${e.code}`);
      owned.close();

      const adapter = await navigator.gpu.requestAdapter();
      const device = await adapter!.requestDevice();
      const shared = await FaceReshaper.createWithDevice(device, { tiling: 'off' });
      const b1 = await shared.reshape(blob, { shape: 'big_eyes', strength: 1 }).then((x: any) => `ok:${x.backend}`, (e: any) => `${e.code}`);
      device.destroy();
      await new Promise((res) => setTimeout(res, 50));
      const b2 = await shared.reshape(blob, { shape: 'big_eyes', strength: 1 }).then(() => 'ok', (e: any) => `${e.code}:${/new device/.test(e.message)}`);
      shared.close();
      return [a, b1, b2];
    });
    expect(r).toEqual(['ok:1', 'ok:webgpu', 'DEVICE_LOST:true']);
  });

  it('concurrent calls are serialised and each gets its own result', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const rs = await FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const strengths = [0, 1, -1, 0.5, 0];
      const par = await Promise.all(strengths.map((s) => rs.reshape(blob, { shape: 'slim_face', strength: s })));
      const seq: any[] = [];
      for (const s of strengths) seq.push(await rs.reshape(blob, { shape: 'slim_face', strength: s }));
      const same = (a: ImageData, b: ImageData) => a.data.every((v, i) => v === b.data[i]);
      rs.close();
      return {
        parEqualsSeq: par.map((p: any, i: number) => same(p.image, seq[i].image)),
        zeroEqualsZero: same(par[0].image, par[4].image),
        plusDiffersFromMinus: !same(par[1].image, par[2].image),
      };
    });
    expect(r.parEqualsSeq).toEqual([true, true, true, true, true]);
    expect(r.zeroEqualsZero).toBe(true);
    expect(r.plusDiffersFromMinus).toBe(true);
  });

  it('returns every output kind at the input size, and faces: [] with the image unchanged when there is no face', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const rs = await FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const kinds: Record<string, string> = {};
      for (const output of ['imageData', 'imageBitmap', 'canvas', 'blob']) {
        const res = await rs.reshape(blob, { shape: 'lip_size', strength: 0.5, output });
        const img = res.image;
        const size = img instanceof Blob ? (await createImageBitmap(img)).width : img.width;
        kinds[output] = `${img.constructor.name}:${size}x${res.height}`;
      }
      // A synthetic faceless image: a gradient.
      const c = new OffscreenCanvas(64, 48);
      const ctx = c.getContext('2d')!;
      const g = ctx.createLinearGradient(0, 0, 64, 48);
      g.addColorStop(0, '#123');
      g.addColorStop(1, '#fc8');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, 64, 48);
      const data = ctx.getImageData(0, 0, 64, 48);
      const none = await rs.reshape(data, { shape: 'slim_face', strength: 1 });
      const unchanged = none.image.data.every((v: number, i: number) => v === data.data[i]);
      const badStrength = await rs.reshape(blob, { shape: 'slim_face', strength: 2 }).then(() => 'ok', (e: any) => e.code);
      const badShape = await rs.reshape(blob, { shape: 'pointy_ears', strength: 1 }).then(() => 'ok', (e: any) => `${e.code}:${/slim_face/.test(e.message)}`);
      const nanStrength = await rs.reshape(blob, { shape: 'slim_face', strength: NaN }).then(() => 'ok', (e: any) => e.code);
      rs.close();
      return { kinds, faces: none.faces.length, unchanged, badStrength, badShape, nanStrength };
    });
    expect(r.kinds).toEqual({
      imageData: 'ImageData:512x600',
      imageBitmap: 'ImageBitmap:512x600',
      canvas: 'OffscreenCanvas:512x600',
      blob: 'Blob:512x600',
    });
    expect(r.faces).toBe(0);
    expect(r.unchanged).toBe(true);
    expect(r.badStrength).toBe('OUT_OF_RANGE');
    expect(r.badShape).toBe('UNSUPPORTED_PARAMETER_VALUES:true');
    expect(r.nanStrength).toBe('INVALID_ARGUMENT');
  });
});
