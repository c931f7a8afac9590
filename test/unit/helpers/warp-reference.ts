import { sampleRegion } from '../../../src/field/grid';
import type { DisplacementField } from '../../../src/field/types';
import type { RgbaImage } from '../../../src/warp/cpu';

/**
 * The backward warp written the plain way, byte by byte, pixel by pixel (the field by
 * sampleRegion, the source bilinear with clamp-to-edge, rounded to nearest): the oracle the CPU
 * warp's fast path is held against.
 */
export function warpReference(src: RgbaImage, field: DisplacementField): RgbaImage {
  const { width, height } = src;
  const out = new Uint8ClampedArray(src.data.subarray(0, width * height * 4));
  const d = { dx: 0, dy: 0 };
  for (const r of field.regions) {
    for (let y = r.py0; y < r.py1; y++) {
      for (let x = r.px0; x < r.px1; x++) {
        sampleRegion(field, r, x + 0.5, y + 0.5, d);
        if (d.dx === 0 && d.dy === 0) continue;
        const sx = x + d.dx;
        const sy = y + d.dy;
        const xf = Math.floor(sx);
        const yf = Math.floor(sy);
        const tx = sx - xf;
        const ty = sy - yf;
        const clampX = (v: number) => Math.min(Math.max(v, 0), width - 1);
        const clampY = (v: number) => Math.min(Math.max(v, 0), height - 1);
        const taps: Array<[number, number, number]> = [
          [clampX(xf), clampY(yf), (1 - tx) * (1 - ty)],
          [clampX(xf + 1), clampY(yf), tx * (1 - ty)],
          [clampX(xf), clampY(yf + 1), (1 - tx) * ty],
          [clampX(xf + 1), clampY(yf + 1), tx * ty],
        ];
        for (let c = 0; c < 4; c++) {
          const v = taps.reduce((sum, [px, py, w]) => sum + src.data[(py * width + px) * 4 + c] * w, 0);
          out[(y * width + x) * 4 + c] = (v + 0.5) | 0;
        }
      }
    }
  }
  return { width, height, data: out };
}
