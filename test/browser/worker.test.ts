import { describe, expect, it } from 'vitest';
import { usePage } from '../support/browser';

/**
 * VideoReshaper with `worker: true`: detection and warping run in a Web Worker drawing into the
 * page's canvas through transferControlToOffscreen(). Same frames and timestamps as the
 * main-thread path must give the same pixels; the page's main thread stays free meanwhile.
 */
describe('video: worker mode (OffscreenCanvas)', () => {
  const page = usePage();

  it('gives the same pixels as the main-thread path, frame after frame, and keeps the main thread free', async () => {
    const r = await page().page.evaluate(async () => {
      const w = window as any;
      const img = await createImageBitmap(await (await fetch('/test-fixtures/grace_hopper.jpg')).blob(), { resizeWidth: 384, resizeHeight: 450 });
      const edits = [{ shape: 'big_eyes', strength: 0.8 }, { shape: 'slim_face', strength: 1 }];
      const make = async (worker: boolean) => {
        const canvas = document.createElement('canvas');
        document.body.append(canvas);
        return w.lib.VideoReshaper.create({ canvas, worker, edits });
      };
      const main = await make(false);
      const work = await make(true);
      const out: Array<{ equal: boolean; maxDiff: number; changed: number; facesMain: number; facesWorker: number }> = [];
      // Longest main-thread stall while frames are rendered: timer lateness, sampled every 4 ms.
      const stall = async (fn: () => Promise<unknown>) => {
        let worst = 0;
        let last = performance.now();
        let on = true;
        const tick = () => {
          const now = performance.now();
          worst = Math.max(worst, now - last);
          last = now;
          if (on) setTimeout(tick, 4);
        };
        setTimeout(tick, 4);
        await fn();
        on = false;
        return worst;
      };
      let stallMain = 0;
      let stallWorker = 0;
      let statsWorker: any = null;
      const t0 = performance.now();
      for (let i = 0; i < 6; i++) {
        const ts = 1000 + i * 33;
        if (i === 4) {
          main.setEdits([{ shape: 'lip_size', strength: -0.7 }]);
          work.setEdits([{ shape: 'lip_size', strength: -0.7 }]);
        }
        const sm = await main.renderFrame(img, ts);
        stallMain = Math.max(stallMain, await stall(async () => main.renderFrame(img, ts + 1)));
        let sw: any;
        stallWorker = Math.max(stallWorker, await stall(async () => { sw = await work.renderFrame(img, ts); await work.renderFrame(img, ts + 1); }));
        statsWorker = sw;
        const a = (await main.snapshot()).data as Uint8ClampedArray;
        const b = (await work.snapshot()).data as Uint8ClampedArray;
        let maxDiff = 0;
        let changed = 0;
        for (let k = 0; k < a.length; k++) {
          const d = Math.abs(a[k] - b[k]);
          if (d > maxDiff) maxDiff = d;
        }
        const plain = new OffscreenCanvas(img.width, img.height).getContext('2d')!;
        plain.drawImage(img, 0, 0);
        const p = plain.getImageData(0, 0, img.width, img.height).data;
        for (let k = 0; k < a.length; k += 4) if (Math.abs(a[k] - p[k]) > 2) changed++;
        out.push({ equal: maxDiff === 0, maxDiff, changed, facesMain: sm.faces, facesWorker: sw.faces });
      }
      const ms = performance.now() - t0;
      const mode = [main.mode, work.mode];
      main.close();
      work.close();
      work.close();
      let closed = '';
      try {
        await work.renderFrame(img, 99999);
      } catch (e: any) {
        closed = e.code;
      }
      return { out, stallMain, stallWorker, mode, closed, ms, statsWorker };
    });
    console.log(
      `worker vs main thread, 6 frames: max pixel difference per frame ${r.out.map((o: any) => o.maxDiff).join(' ')}; ` +
        `longest main-thread stall while rendering: ${r.stallMain.toFixed(0)} ms main-thread mode, ${r.stallWorker.toFixed(0)} ms worker mode\n` +
        `  worker frame: detect ${r.statsWorker.detectMs.toFixed(1)} ms, field ${r.statsWorker.fieldMs.toFixed(1)} ms, render ${r.statsWorker.renderMs.toFixed(1)} ms (${r.statsWorker.upload}, present ${r.statsWorker.present})`,
    );
    expect(r.mode).toEqual(['main', 'worker']);
    for (const o of r.out) {
      expect(o.facesMain).toBe(1);
      expect(o.facesWorker).toBe(1);
      expect(o.changed).toBeGreaterThan(500); // the face really was reshaped
      expect(o.maxDiff).toBe(0);
    }
    expect(r.closed).toBe('CLOSED');
  });
});
