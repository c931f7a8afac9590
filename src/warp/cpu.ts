import { FaceReshapeError } from '../errors.js';
import { cellOf, clampToGrid } from '../field/grid.js';
import type { DisplacementField } from '../field/types.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major, no padding. */
  data: Uint8ClampedArray;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * CPU reference warp, the oracle for the GPU warp (src/warp/gpu-warper.ts):
 * the output starts as an exact copy of the source; inside each region's pixel rect, output
 * pixel (x, y) (centre p = (x + .5, y + .5)) takes the source sampled bilinearly at p + d(p)
 * with clamp-to-edge, exactly as a hardware sampler does at uv = (p + d) / size: the texel-space
 * position is p + d − 0.5 = (x + dx, y + dy). Results round to nearest (rgba8unorm). Where d is
 * exactly zero the pixel is left as copied (bit-exact identity).
 *
 * Speed: the field is interpolated once per node column per row (a row of (dx, dy) at the
 * pixel row's height), then linearly along each cell span (spans whose two nodes are zero are
 * skipped); texels are read and written as 32-bit words.
 * No allocation per pixel; work only inside regions.
 */
export function warpCpu(src: RgbaImage, field: DisplacementField): RgbaImage & { data: Uint8ClampedArray<ArrayBuffer> } {
  const { width, height } = src;
  if (src.data.length < width * height * 4) throw new RangeError(`warpCpu: data has ${src.data.length} bytes, expected ${width * height * 4}`);
  const out = new Uint8ClampedArray(width * height * 4);
  out.set(src.data.subarray(0, width * height * 4));
  if (!field.regions.length) return { width, height, data: out };
  // Texels are read as 32-bit words with R in the low byte: every browser's host is little-endian.
  if (!LITTLE_ENDIAN) throw new FaceReshapeError('INTERNAL', 'The CPU warp needs a little-endian host.');
  const aligned = src.data.byteOffset % 4 === 0 ? src.data : new Uint8ClampedArray(src.data.subarray(0, width * height * 4));
  const s32 = new Uint32Array(aligned.buffer, aligned.byteOffset, width * height);
  const o32 = new Uint32Array(out.buffer, 0, width * height);
  const fd = field.data;
  const w1 = width - 1;
  const h1 = height - 1;
  let rowX = new Float32Array(0);
  let rowY = new Float32Array(0);
  for (const r of field.regions) {
    const { cols, rows, cell, x0, y0 } = r;
    if (rowX.length < cols) {
      rowX = new Float32Array(cols);
      rowY = new Float32Array(cols);
    }
    const inv = 1 / cell;
    const maxI = cols - 1;
    for (let y = r.py0; y < r.py1; y++) {
      // Field row at this pixel row, by the grid rule (src/field/grid.ts).
      const gy = clampToGrid((y + 0.5 - y0) * inv, rows);
      const iy = cellOf(gy, rows);
      const fy = gy - iy;
      const gfy = 1 - fy;
      let any = false;
      const base0 = (r.offset + iy * cols) * 2;
      const base1 = base0 + cols * 2;
      for (let i = 0; i < cols; i++) {
        const ax = fd[base0 + i * 2] * gfy + fd[base1 + i * 2] * fy;
        const ay = fd[base0 + i * 2 + 1] * gfy + fd[base1 + i * 2 + 1] * fy;
        rowX[i] = ax;
        rowY[i] = ay;
        if (ax !== 0 || ay !== 0) any = true;
      }
      if (!any) continue;
      const orow = y * width;
      // Walk the row cell by cell: pixel centres x + .5 in [x0 + i·cell, x0 + (i+1)·cell) use
      // nodes i, i+1 (the cell the grid rule picks; the pixel rect never reaches the last node).
      for (let i = 0; i < maxI; i++) {
        const ax = rowX[i];
        const ay = rowY[i];
        const bx = rowX[i + 1];
        const by = rowY[i + 1];
        if (ax === 0 && ay === 0 && bx === 0 && by === 0) continue;
        const left = x0 + i * cell - 0.5;
        let xs = Math.ceil(left);
        let xe = Math.ceil(left + cell);
        if (xs < r.px0) xs = r.px0;
        if (xe > r.px1) xe = r.px1;
        const ex = bx - ax;
        const ey = by - ay;
        for (let x = xs; x < xe; x++) {
          const fx = (x - left) * inv;
          const dx = ax + ex * fx;
          const dy = ay + ey * fx;
          if (dx === 0 && dy === 0) continue;
          const sx = x + dx;
          const sy = y + dy;
          const xf = Math.floor(sx);
          const yf = Math.floor(sy);
          const tx = sx - xf;
          const ty = sy - yf;
          let p00: number, p10: number, p01: number, p11: number;
          if (xf >= 0 && xf < w1 && yf >= 0 && yf < h1) {
            // The 2×2 footprint lies inside the image (nearly every pixel): no clamping.
            const k = yf * width + xf;
            p00 = s32[k];
            p10 = s32[k + 1];
            p01 = s32[k + width];
            p11 = s32[k + width + 1];
          } else {
            const xa = xf < 0 ? 0 : xf > w1 ? w1 : xf;
            const xb = xf + 1 < 0 ? 0 : xf + 1 > w1 ? w1 : xf + 1;
            const ya = (yf < 0 ? 0 : yf > h1 ? h1 : yf) * width;
            const yb = (yf + 1 < 0 ? 0 : yf + 1 > h1 ? h1 : yf + 1) * width;
            p00 = s32[ya + xa];
            p10 = s32[ya + xb];
            p01 = s32[yb + xa];
            p11 = s32[yb + xb];
          }
          const w00 = (1 - tx) * (1 - ty);
          const w10 = tx * (1 - ty);
          const w01 = (1 - tx) * ty;
          const w11 = tx * ty;
          const c0 = (p00 & 255) * w00 + (p10 & 255) * w10 + (p01 & 255) * w01 + (p11 & 255) * w11 + 0.5;
          const c1 = ((p00 >>> 8) & 255) * w00 + ((p10 >>> 8) & 255) * w10 + ((p01 >>> 8) & 255) * w01 + ((p11 >>> 8) & 255) * w11 + 0.5;
          const c2 = ((p00 >>> 16) & 255) * w00 + ((p10 >>> 16) & 255) * w10 + ((p01 >>> 16) & 255) * w01 + ((p11 >>> 16) & 255) * w11 + 0.5;
          // Opaque footprint (photos, nearly always): alpha stays 255, as the blend below would give.
          const c3 = (p00 & p10 & p01 & p11) >>> 24 === 255 ? 255 : (p00 >>> 24) * w00 + (p10 >>> 24) * w10 + (p01 >>> 24) * w01 + (p11 >>> 24) * w11 + 0.5;
          o32[orow + x] = (c0 | 0) | ((c1 | 0) << 8) | ((c2 | 0) << 16) | ((c3 | 0) << 24);
        }
      }
    }
  }
  return { width, height, data: out };
}
