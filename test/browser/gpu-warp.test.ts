import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';

/**
 * The GPU warp (src/warp/gpu.ts, shaders/warp.wgsl) in headless Chromium on SwiftShader:
 * identity, translation, locality, format fallback, lifecycle, and parity with the CPU
 * reference warp (src/warp/cpu.ts) on the committed fixture photos. No timed assertions.
 */

/** Installed once in the page as `window.gw`: synthetic fields and GPU/CPU round trips. */
function installHelpers(): void {
  const w = window as any;
  const I = w.internals;

  /** A field with one region over `rect`, grid origin at (rect.x0 - shift), nodes from fn(x, y); outer ring forced to 0. */
  function fieldFrom(width: number, height: number, rects: number[][], cell: number, fn: (x: number, y: number, rect: number[]) => [number, number]) {
    const regions: any[] = [];
    const parts: Float32Array[] = [];
    let offset = 0;
    for (const rect of rects) {
      const [px0, py0, px1, py1] = rect;
      const x0 = px0 - 0.25; // grid origin off the pixel lattice, like a real field
      const y0 = py0 - 0.75;
      const cols = Math.ceil((px1 - x0) / cell) + 1;
      const rows = Math.ceil((py1 - y0) / cell) + 1;
      const data = new Float32Array(cols * rows * 2);
      for (let j = 1; j < rows - 1; j++) {
        for (let i = 1; i < cols - 1; i++) {
          const [dx, dy] = fn(x0 + i * cell, y0 + j * cell, rect);
          data[(j * cols + i) * 2] = dx;
          data[(j * cols + i) * 2 + 1] = dy;
        }
      }
      regions.push({ x0, y0, cell, cols, rows, offset, px0, py0, px1, py1 });
      parts.push(data);
      offset += cols * rows;
    }
    const data = new Float32Array(offset * 2);
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
    return { width, height, regions, data };
  }

  /** Smooth swirl plus bulge, zero outside the rect's inscribed circle. */
  function swirl(width: number, height: number, rects: number[][], cell: number, amp: number) {
    return fieldFrom(width, height, rects, cell, (x, y, [px0, py0, px1, py1]) => {
      const cx = (px0 + px1) / 2;
      const cy = (py0 + py1) / 2;
      const R = Math.min(px1 - px0, py1 - py0) / 2;
      const u = (x - cx) / R;
      const v = (y - cy) / R;
      const r2 = u * u + v * v;
      if (r2 >= 1) return [0, 0];
      const k = amp * (1 - r2) ** 2;
      return [k * (-v - 0.4 * u), k * (u - 0.4 * v)];
    });
  }

  function translation(width: number, height: number, rect: number[], cell: number, dx: number, dy: number) {
    return fieldFrom(width, height, [rect], cell, () => [dx, dy]);
  }

  function pattern(width: number, height: number): ImageData {
    const d = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const k = (y * width + x) * 4;
        d[k] = (x * 7 + y * 3) & 255;
        d[k + 1] = ((x >> 3) + (y >> 3)) & 1 ? 230 : 20;
        d[k + 2] = (x * y) & 255;
        d[k + 3] = 255 - ((x + y) & 63);
      }
    }
    return new ImageData(d, width, height);
  }

  async function setup() {
    if (w.gwState) return w.gwState;
    const { device } = await I.requestGpuDevice();
    const errors: string[] = [];
    device.addEventListener('uncapturederror', (e: any) => errors.push(String(e.error?.message ?? e)));
    w.gwState = {
      device,
      errors,
      uploader: new I.TextureUploader(device),
      warper: new I.GpuWarper(device),
      reader: new I.TextureReader(device),
    };
    return w.gwState;
  }

  async function loadImage(url: string): Promise<ImageBitmap> {
    return createImageBitmap(await (await fetch(url)).blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  }

  /** Uploads `image`, reads the uploaded pixels back (the exact source both warps see), warps on the GPU, reads the result. */
  async function gpuWarp(image: ImageData | ImageBitmap, field: any) {
    const s = await setup();
    const src = s.uploader.upload(image);
    const source: ImageData = await s.reader.readImageData(src);
    const out = s.warper.warp(src, field);
    const result: ImageData = await s.reader.readImageData(out);
    return { source, result, out, src };
  }

  function diff(a: Uint8ClampedArray, b: Uint8ClampedArray) {
    let sum = 0;
    let max = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      sum += d;
      if (d > max) max = d;
    }
    return { mean: sum / a.length, max };
  }

  w.gw = { setup, fieldFrom, swirl, translation, pattern, loadImage, gpuWarp, diff };
}

describe('GPU warp (SwiftShader)', () => {
  const page = usePage();
  const run = <T>(fn: () => Promise<T>): Promise<T> => page().page.evaluate(fn);

  beforeAll(async () => {
    await page().page.evaluate(installHelpers);
  });

  it('an empty field is a bit-exact copy (odd width: readback row padding)', async () => {
    const r = await run(async () => {
      const gw = (window as any).gw;
      const img = gw.pattern(257, 131);
      const { source, result, out, src } = await gw.gpuWarp(img, { width: 257, height: 131, regions: [], data: new Float32Array(0) });
      return {
        uploadExact: gw.diff(source.data, img.data).max,
        max: gw.diff(result.data, img.data).max,
        sameTexture: out === src,
        size: [out.width, out.height],
        format: out.format,
      };
    });
    expect(r.uploadExact).toBe(0);
    expect(r.max).toBe(0);
    expect(r.sameTexture).toBe(false);
    expect(r.size).toEqual([257, 131]);
    expect(r.format).toBe('rgba8unorm');
  });

  it('a field that is zero everywhere is a bit-exact copy', async () => {
    const max = await run(async () => {
      const gw = (window as any).gw;
      const img = gw.pattern(200, 160);
      const field = gw.translation(200, 160, [20, 20, 180, 140], 8, 0, 0);
      return gw.diff((await gw.gpuWarp(img, field)).result.data, img.data).max;
    });
    expect(max).toBe(0);
  });

  it('a translation field moves the pattern and leaves everything else bit-exact', async () => {
    const r = await run(async () => {
      const gw = (window as any).gw;
      const W = 300;
      const H = 200;
      const img = gw.pattern(W, H);
      const rect = [60, 30, 240, 180];
      const cell = 6;
      const field = gw.translation(W, H, rect, cell, 5, -3);
      const { result } = await gw.gpuWarp(img, field);
      let innerBad = 0;
      let inner = 0;
      let outerBad = 0;
      let outer = 0;
      let moved = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const k = (y * W + x) * 4;
          // Two cells in from the rect (ring of zero nodes + one cell of ramp), d is exactly (5, -3).
          const isInner = x >= rect[0] + 2 * cell && x < rect[2] - 2 * cell && y >= rect[1] + 2 * cell && y < rect[3] - 2 * cell;
          const isOuter = x < rect[0] || x >= rect[2] || y < rect[1] || y >= rect[3];
          if (isInner) {
            inner++;
            const s = ((y - 3) * W + (x + 5)) * 4;
            for (let c = 0; c < 4; c++) if (Math.abs(result.data[k + c] - img.data[s + c]) > 1) innerBad++;
          }
          if (isOuter) {
            outer++;
            for (let c = 0; c < 4; c++) if (result.data[k + c] !== img.data[k + c]) outerBad++;
          }
          if (result.data[k] !== img.data[k] || result.data[k + 1] !== img.data[k + 1]) moved++;
        }
      }
      return { inner, innerBad, outer, outerBad, moved };
    });
    expect(r.inner).toBeGreaterThan(15000);
    expect(r.innerBad).toBe(0);
    expect(r.outer).toBeGreaterThan(30000);
    expect(r.outerBad).toBe(0);
    expect(r.moved).toBeGreaterThan(15000);
  });

  it('locality: pixels outside every region, and pixels where d is exactly 0, are bit-exact (two regions)', async () => {
    const r = await run(async () => {
      const gw = (window as any).gw;
      const I = (window as any).internals;
      const W = 320;
      const H = 240;
      const img = gw.pattern(W, H);
      const rects = [
        [10, 20, 150, 200],
        [170, 40, 310, 230],
      ];
      const field = gw.swirl(W, H, rects, 7, 9);
      const { result } = await gw.gpuWarp(img, field);
      let checked = 0;
      let bad = 0;
      let zeroInside = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const d = { dx: 0, dy: 0 };
          let inside = false;
          for (const reg of field.regions) {
            if (x >= reg.px0 && x < reg.px1 && y >= reg.py0 && y < reg.py1) {
              inside = true;
              I.sampleRegion(field, reg, x + 0.5, y + 0.5, d);
            }
          }
          if (inside && (d.dx !== 0 || d.dy !== 0)) continue;
          if (inside) zeroInside++;
          checked++;
          const k = (y * W + x) * 4;
          for (let c = 0; c < 4; c++) if (result.data[k + c] !== img.data[k + c]) bad++;
        }
      }
      return { checked, bad, zeroInside };
    });
    expect(r.zeroInside).toBeGreaterThan(1000);
    expect(r.checked).toBeGreaterThan(20000);
    expect(r.bad).toBe(0);
  });

  it('a source whose format cannot be copied (bgra8unorm) still gives the exact image', async () => {
    const r = await run(async () => {
      const gw = (window as any).gw;
      const s = await gw.setup();
      const img = gw.pattern(96, 64);
      const bgra = new Uint8Array(img.data.length);
      for (let i = 0; i < bgra.length; i += 4) {
        bgra[i] = img.data[i + 2];
        bgra[i + 1] = img.data[i + 1];
        bgra[i + 2] = img.data[i];
        bgra[i + 3] = img.data[i + 3];
      }
      const src: GPUTexture = s.device.createTexture({
        label: 'test bgra source',
        size: [96, 64],
        format: 'bgra8unorm',
        usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC,
      });
      s.device.queue.writeTexture({ texture: src }, bgra, { bytesPerRow: 96 * 4 }, [96, 64]);
      const empty = await s.reader.readImageData(s.warper.warp(src, { width: 96, height: 64, regions: [], data: new Float32Array(0) }));
      const field = gw.translation(96, 64, [16, 16, 80, 48], 4, 2, 1);
      const warped = await s.reader.readImageData(s.warper.warp(src, field));
      const viaRgba = (await gw.gpuWarp(img, field)).result;
      src.destroy();
      return { identity: gw.diff(empty.data, img.data).max, vsRgba: gw.diff(warped.data, viaRgba.data).max, fallback: !!(s.device as any).adapterInfo?.isFallbackAdapter };
    });
    expect(r.identity).toBe(0);
    // The render form (this source) against the compute form (rgba): see the forms test below.
    expect(r.vsRgba).toBeLessThanOrEqual(r.fallback ? 0 : 1);
  });

  it('warps into a caller target, alternates its own outputs, and accepts its own output as the next source', async () => {
    const r = await run(async () => {
      const gw = (window as any).gw;
      const s = await gw.setup();
      const img = gw.pattern(128, 96);
      const field = gw.swirl(128, 96, [[16, 8, 112, 88]], 6, 4);
      const src = s.uploader.upload(img);
      const target: GPUTexture = s.device.createTexture({
        label: 'test target',
        size: [128, 96],
        format: 'rgba8unorm',
        usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
      });
      const intoTarget = s.warper.warp(src, field, target);
      const a = s.warper.warp(src, field);
      const same = gw.diff((await s.reader.readImageData(target)).data, (await s.reader.readImageData(a)).data).max;
      // b takes the other slot (a is its source); c reuses a's slot, since a is not its source.
      const b = s.warper.warp(a, { width: 128, height: 96, regions: [], data: new Float32Array(0) });
      const c = s.warper.warp(b, field);
      const chained = gw.diff((await s.reader.readImageData(b)).data, (await s.reader.readImageData(target)).data).max;
      let wrongTargetCode = '';
      try {
        s.warper.warp(src, field, src);
      } catch (e: any) {
        wrongTargetCode = e.code;
      }
      target.destroy();
      return { returnedTarget: intoTarget === target, aNotB: a !== b, cNotB: c !== b, cIsA: c === a, same, chained, wrongTargetCode };
    });
    expect(r).toEqual({ returnedTarget: true, aNotB: true, cNotB: true, cIsA: true, same: 0, chained: 0, wrongTargetCode: 'INVALID_ARGUMENT' });
  });

  for (const fixture of ['astronaut.png', 'grace_hopper.jpg']) {
    it(`parity with the CPU reference warp on ${fixture}: mean ≤ 0.5, max ≤ 3 of 255`, async () => {
      const r = await page().page.evaluate(async (url: string) => {
        const gw = (window as any).gw;
        const I = (window as any).internals;
        const bmp = await gw.loadImage(url);
        const W = bmp.width;
        const H = bmp.height;
        const fields = [
          // A face-sized swirl + bulge (cell 6), a strong small one near the border (clamp-to-edge), and two regions.
          gw.swirl(W, H, [[Math.round(W * 0.2), Math.round(H * 0.15), Math.round(W * 0.8), Math.round(H * 0.85)]], 6, 14),
          gw.swirl(W, H, [[0, 0, 160, 140]], 5, 22),
          gw.swirl(W, H, [[30, 40, 230, 260], [260, 300, W - 10, H - 20]], 8, 10),
        ];
        const out: Array<{ mean: number; max: number; changed: number }> = [];
        for (const field of fields) {
          const { source, result } = await gw.gpuWarp(bmp, field);
          const cpu = I.warpCpu({ width: W, height: H, data: source.data }, field);
          let changed = 0;
          for (let i = 0; i < cpu.data.length; i += 4) if (cpu.data[i] !== source.data[i]) changed++;
          out.push({ ...gw.diff(result.data, cpu.data), changed });
        }
        bmp.close();
        return out;
      }, `/test-fixtures/${fixture}`);
      console.log(`gpu-warp parity ${fixture}: ${r.map((f) => `mean ${f.mean.toFixed(3)} max ${f.max}`).join('; ')}`);
      for (const f of r) {
        expect(f.changed).toBeGreaterThan(1000); // the field really moved pixels
        expect(f.mean).toBeLessThanOrEqual(0.5);
        expect(f.max).toBeLessThanOrEqual(3);
      }
    });
  }

  it('the compute form (own outputs) and the render form (a target without STORAGE_BINDING) give identical pixels', async () => {
    const r = await page().page.evaluate(async () => {
      const gw = (window as any).gw;
      const s = await gw.setup();
      const bmp = await gw.loadImage('/test-fixtures/astronaut.png');
      const W = bmp.width;
      const H = bmp.height;
      const src = s.uploader.upload(bmp);
      const target: GPUTexture = s.device.createTexture({
        label: 'test render-form target',
        size: [W, H],
        format: 'rgba8unorm',
        usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
      });
      // Integer and fractional cells (pixel-to-cell ownership at every boundary), a region
      // clipped by the image, and two regions.
      const fields = [
        gw.swirl(W, H, [[Math.round(W * 0.2), Math.round(H * 0.15), Math.round(W * 0.8), Math.round(H * 0.85)]], 8, 14),
        gw.swirl(W, H, [[20, 30, 220, 250]], 5.5, 9),
        gw.swirl(W, H, [[0, 0, 160, 140]], 2, 6),
        gw.swirl(W, H, [[30, 40, 230, 260], [260, 300, W - 10, H - 20]], 7.25, 10),
      ];
      const fallback = !!(s.device as any).adapterInfo?.isFallbackAdapter;
      const out: Array<{ forms: string[]; max: number; changed: number; fallback: boolean }> = [];
      for (const field of fields) {
        const a = await s.reader.readImageData(s.warper.warp(src, field));
        const formA = s.warper.lastPass;
        const b = await s.reader.readImageData(s.warper.warp(src, field, target));
        const formB = s.warper.lastPass;
        const source = await s.reader.readImageData(src);
        let changed = 0;
        for (let i = 0; i < a.data.length; i += 4) if (a.data[i] !== source.data[i]) changed++;
        out.push({ forms: [formA, formB], max: gw.diff(a.data, b.data).max, changed, fallback });
      }
      target.destroy();
      src.destroy();
      bmp.close();
      return out;
    });
    for (const f of r) {
      expect(f.forms).toEqual(['cells', 'spans']);
      expect(f.changed).toBeGreaterThan(500);
      // Same arithmetic in both; a hardware compiler may still fuse a multiply-add differently in a
      // fragment and a compute shader, hence one level of slack off SwiftShader.
      expect(f.max).toBeLessThanOrEqual(f.fallback ? 0 : 1);
    }
  });

  it('GPU timestamps (bench): a timer brackets the yardstick and the warp, and the output is unchanged by it', async () => {
    const r = await run(async () => {
      const gw = (window as any).gw;
      const I = (window as any).internals;
      const { device } = await I.requestGpuDevice({ label: 'timestamp test device', optionalFeatures: ['timestamp-query'] });
      if (!I.GpuTimer.supported(device)) return { supported: false, durations: [] as number[], same: 0 };
      const timer = new I.GpuTimer(device, 4);
      const uploader = new I.TextureUploader(device);
      const warper = new I.GpuWarper(device);
      const yard = new I.CopyYardstick(device);
      const reader = new I.TextureReader(device);
      const img = gw.pattern(200, 120);
      const field = gw.swirl(200, 120, [[20, 10, 180, 110]], 6, 5);
      const src = uploader.upload(img);
      yard.run(src, timer.next());
      const timed = await reader.readImageData(warper.warp(src, field, undefined, timer.next()));
      const durations = await timer.read();
      const plain = await reader.readImageData(warper.warp(src, field));
      let full = '';
      try {
        for (let k = 0; k < 5; k++) timer.next();
      } catch (e: any) {
        full = e.name;
      }
      timer.destroy();
      timer.destroy();
      for (const o of [uploader, warper, yard, reader]) o.destroy();
      device.destroy();
      return { supported: true, durations, same: gw.diff(timed.data, plain.data).max, full };
    });
    // SwiftShader has 'timestamp-query' (the bench on a device without it prints no timestamp figures).
    expect(r.supported).toBe(true);
    expect(r.durations).toHaveLength(2);
    for (const d of r.durations) expect(d).toBeGreaterThan(0);
    expect(r.same).toBe(0);
    expect((r as any).full).toBe('RangeError');
  });

  it('toImageBitmap gives the texture pixels exactly, straight alpha included', async () => {
    const r = await run(async () => {
      const gw = (window as any).gw;
      const I = (window as any).internals;
      const s = await gw.setup();
      const img = gw.pattern(150, 70);
      for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
      const tex = s.uploader.upload(img);
      const bitmaps = new I.TextureToBitmap(s.device);
      const bmp = await bitmaps.toImageBitmap(tex);
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(bmp, 0, 0);
      const back = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      bitmaps.destroy();
      bitmaps.destroy();
      return { size: [bmp.width, bmp.height], max: gw.diff(back, img.data).max };
    });
    expect(r).toEqual({ size: [150, 70], max: 0 });
  });

  // Whichever of the tests above ran, none made the device report a validation error.
  afterAll(async () => {
    const errors = await run(async () => (window as any).gwState?.errors ?? []);
    expect(errors, 'WebGPU validation errors').toEqual([]);
  });

  it('destroy() is idempotent; use after destroy throws CLOSED; a lost device throws DEVICE_LOST', async () => {
    const r = await run(async () => {
      const I = (window as any).internals;
      const { device } = await I.requestGpuDevice();
      const warper = new I.GpuWarper(device);
      const uploader = new I.TextureUploader(device);
      const reader = new I.TextureReader(device);
      const src = uploader.upload(new ImageData(8, 8));
      warper.warp(src, { width: 8, height: 8, regions: [], data: new Float32Array(0) });
      warper.destroy();
      warper.destroy();
      let closed = '';
      try {
        warper.warp(src, { width: 8, height: 8, regions: [], data: new Float32Array(0) });
      } catch (e: any) {
        closed = e.code;
      }
      const warper2 = new I.GpuWarper(device);
      device.destroy();
      // No await of device.lost: the loss is recorded by destroy() itself (Chromium may resolve the
      // promise much later under load), so the very next call already refuses.
      let lost = '';
      try {
        warper2.warp(src, { width: 8, height: 8, regions: [], data: new Float32Array(0) });
      } catch (e: any) {
        lost = e.code;
      }
      let readLost = '';
      try {
        await reader.readImageData(src);
      } catch (e: any) {
        readLost = e.code;
      }
      warper2.destroy();
      uploader.destroy();
      reader.destroy();
      uploader.destroy();
      return { closed, lost, readLost, isLost: I.isDeviceLost(device) };
    });
    expect(r).toEqual({ closed: 'CLOSED', lost: 'DEVICE_LOST', readLost: 'DEVICE_LOST', isLost: true });
  });
});
