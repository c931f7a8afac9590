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
        const { width, height } = img instanceof Blob ? await createImageBitmap(img) : img;
        kinds[output] = `${img.constructor.name}:${width}x${height}`;
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
    expect(r.badShape).toBe('OUT_OF_RANGE:true');
    expect(r.nanStrength).toBe('INVALID_ARGUMENT');
  });

  it("output 'blob' follows the input (JPEG → JPEG, PNG or a decoded source → PNG) unless blobType says; quality is honoured; timings name every stage", async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const rs = await FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
      const jpeg = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const png = await (await fetch('/test-fixtures/astronaut.png')).blob();
      const bitmap = await createImageBitmap(jpeg);
      // The real file's first bytes and its decoded size, not the Blob's claimed type only.
      const look = async (b: Blob) => {
        const head = new Uint8Array(await b.slice(0, 4).arrayBuffer());
        const magic = head[0] === 0xff && head[1] === 0xd8 ? 'jpeg' : head[0] === 0x89 && head[1] === 0x50 ? 'png' : 'other';
        const bmp = await createImageBitmap(b);
        const out = `${b.type}:${magic}:${bmp.width}x${bmp.height}`;
        bmp.close();
        return out;
      };
      const edit = { shape: 'slim_face', strength: 0.6, output: 'blob' };
      const out: Record<string, string> = {};
      out.jpeg = await look((await rs.reshape(jpeg, edit)).image);
      out.png = await look((await rs.reshape(png, edit)).image);
      out.bitmap = await look((await rs.reshape(bitmap, edit)).image);
      out.jpegAsPng = await look((await rs.reshape(jpeg, { ...edit, blobType: 'image/png' })).image);
      out.pngAsJpeg = await look((await rs.reshape(png, { ...edit, blobType: 'image/jpeg' })).image);
      const low = (await rs.reshape(jpeg, { ...edit, quality: 0.3 })).image.size;
      const high = (await rs.reshape(jpeg, { ...edit, quality: 0.95 })).image.size;
      const badQuality = await rs.reshape(jpeg, { ...edit, quality: 2 }).then(() => 'ok', (e: any) => e.code);
      const timed = await rs.reshape(jpeg, { ...edit, timings: true });
      const untimed = await rs.reshape(jpeg, edit);
      rs.close();
      bitmap.close();
      return { out, jpegSizes: [jpeg.size, low, high], badQuality, timings: timed.timings, untimed: 'timings' in untimed };
    });
    expect(r.out).toEqual({
      jpeg: 'image/jpeg:jpeg:512x600',
      png: 'image/png:png:512x512',
      bitmap: 'image/png:png:512x600',
      jpegAsPng: 'image/png:png:512x600',
      pngAsJpeg: 'image/jpeg:jpeg:512x512',
    });
    expect(r.jpegSizes[1]).toBeLessThan(r.jpegSizes[2]);
    expect(r.badQuality).toBe('OUT_OF_RANGE');
    expect(Object.keys(r.timings).sort()).toEqual(['decode', 'detect', 'encode', 'field', 'readback', 'total', 'upload', 'warp']);
    const { total, ...stages } = r.timings;
    for (const v of Object.values(stages) as number[]) expect(v).toBeGreaterThanOrEqual(0);
    // The stages follow one another inside the call, so together they never exceed it.
    expect((Object.values(stages) as number[]).reduce((s, v) => s + v, 0)).toBeLessThanOrEqual(total + 0.01);
    expect(r.untimed).toBe(false);
  });

  it('reshapes an <img>, a playing <video> and a VideoFrame like the same picture as bytes', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const rs = await FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const edits = { shape: 'big_eyes', strength: 1 } as const;
      const ref = await rs.reshape(blob, edits);
      const img = new Image();
      img.src = URL.createObjectURL(blob);
      await img.decode();
      const bmp = await createImageBitmap(blob);
      const frame = new VideoFrame(bmp, { timestamp: 0 });
      // A <video> showing the photo: a canvas's stream, played.
      const canvas = document.createElement('canvas');
      canvas.width = bmp.width;
      canvas.height = bmp.height;
      const ctx = canvas.getContext('2d')!;
      const draw = setInterval(() => ctx.drawImage(bmp, 0, 0), 20);
      ctx.drawImage(bmp, 0, 0);
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = canvas.captureStream(30);
      await video.play();
      while (video.videoWidth === 0 || video.readyState < 2) await new Promise((res) => setTimeout(res, 20));
      const out: Record<string, unknown> = {};
      const diff = (a: ImageData, b: ImageData) => {
        let sum = 0;
        for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
        return sum / a.data.length;
      };
      for (const [name, source] of [['img', img], ['video', video], ['videoFrame', frame]] as const) {
        const res = await rs.reshape(source, edits);
        out[name] = { size: `${res.width}x${res.height}`, faces: res.faces.length, meanDiffFromBytes: Math.round(diff(res.image, ref.image) * 100) / 100 };
      }
      clearInterval(draw);
      frame.close();
      rs.close();
      return out;
    });
    console.log(`sources vs bytes: ${JSON.stringify(r)}`);
    for (const name of ['img', 'video', 'videoFrame']) {
      const v = r[name] as { size: string; faces: number; meanDiffFromBytes: number };
      expect(v.size, name).toBe('512x600');
      expect(v.faces, name).toBe(1);
      // The same pixels (a video's compression aside) give the same warp.
      expect(v.meanDiffFromBytes, name).toBeLessThan(name === 'video' ? 3 : 0.5);
    }
  });

  it('createWithDevice(): close() leaves the app’s device alive and working', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const I = (window as any).internals;
      const adapter = await navigator.gpu.requestAdapter();
      const device = await adapter!.requestDevice();
      const rs = await FaceReshaper.createWithDevice(device, { tiling: 'off' });
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const faces = (await rs.reshape(blob, { shape: 'slim_face', strength: 1 })).faces.length;
      rs.close();
      rs.close();
      // The device still takes work after the reshaper is gone.
      const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      device.queue.writeBuffer(buffer, 0, new Uint32Array([1, 2, 3, 4]));
      await buffer.mapAsync(GPUMapMode.READ);
      const back = Array.from(new Uint32Array(buffer.getMappedRange()));
      buffer.unmap();
      const lost = I.isDeviceLost(device);
      device.destroy();
      return { faces, back, lost };
    });
    expect(r).toEqual({ faces: 1, back: [1, 2, 3, 4], lost: false });
  });

  it('a decoded source larger than the device’s textures is refused with IMAGE_TOO_LARGE, and the reshaper stays usable', async () => {
    const r = await page().page.evaluate(async () => {
      const { FaceReshaper } = (window as any).lib;
      const rs = await FaceReshaper.create({ backend: 'webgpu', tiling: 'off' });
      const max = (rs as any).gpu.device.limits.maxTextureDimension2D;
      const wide = new OffscreenCanvas(max + 1, 16);
      const tooBig = await rs.reshape(wide, { shape: 'slim_face', strength: 1 }).then(() => 'ok', (e: any) => `${e.name}:${e.code}`);
      const blob = await (await fetch('/test-fixtures/grace_hopper.jpg')).blob();
      const after = (await rs.reshape(blob, { shape: 'slim_face', strength: 1 })).faces.length;
      rs.close();
      return { max, tooBig, after };
    });
    console.log(`maxTextureDimension2D ${r.max}`);
    expect(r.tooBig).toBe('FaceReshapeError:IMAGE_TOO_LARGE');
    expect(r.after).toBe(1);
  });
});
