// Contact sheet of all 22 shapes: npx tsx test/unit/helpers/contact-sheet.ts face01 [strength]
// Writes test/artifacts/<fixture>_<strength>.png: original, then shapes 0–21, then all 22 combined.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { buildField } from '../../../src/field/build.js';
import { SHAPE_NAMES } from '../../../src/shapes/names.js';
import { warpCpu, type RgbaImage } from '../../../src/warp/cpu.js';
import { landmarkFixture } from './fixtures.js';

export function loadImage(path: string): RgbaImage {
  const buf = readFileSync(path);
  if (path.endsWith('.png')) {
    const p = PNG.sync.read(buf);
    return { width: p.width, height: p.height, data: new Uint8ClampedArray(p.data.buffer, p.data.byteOffset, p.data.length) };
  }
  const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
  return { width: j.width, height: j.height, data: new Uint8ClampedArray(j.data.buffer, j.data.byteOffset, j.data.length) };
}

export function savePng(path: string, img: RgbaImage): void {
  const p = new PNG({ width: img.width, height: img.height });
  p.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length);
  writeFileSync(path, PNG.sync.write(p));
}

const prefix = process.argv[2] ?? 'face01';
const strength = Number(process.argv[3] ?? 1);
const faceIdx = Number(process.argv[4] ?? 0);
const fx = landmarkFixture(prefix)!;
const img = loadImage(join('/work/shared/fixtures/faces', fx.file.split('/').pop()!));
const face = fx.faces[faceIdx];
const W = Math.hypot(face.landmarks[234][0] - face.landmarks[454][0], face.landmarks[234][1] - face.landmarks[454][1]);
const [bx0, by0, bx1, by1] = face.box;
const pad = 0.35 * W;
const cx0 = Math.max(0, Math.floor(bx0 - pad));
const cy0 = Math.max(0, Math.floor(by0 - pad));
const cw = Math.min(img.width, Math.ceil(bx1 + pad)) - cx0;
const ch = Math.min(img.height, Math.ceil(by1 + pad)) - cy0;
const zoom = Math.max(1, Math.round(240 / cw));
const tiles: RgbaImage[] = [img];
for (const shape of SHAPE_NAMES) tiles.push(warpCpu(img, buildField(img.width, img.height, [{ face, edits: [{ shape, strength }] }])));
tiles.push(warpCpu(img, buildField(img.width, img.height, [{ face, edits: SHAPE_NAMES.map((shape) => ({ shape, strength })) }])));
const colsN = 6;
const tw = cw * zoom;
const th = ch * zoom;
const sheet: RgbaImage = { width: colsN * tw, height: Math.ceil(tiles.length / colsN) * th, data: new Uint8ClampedArray(colsN * tw * Math.ceil(tiles.length / colsN) * th * 4) };
tiles.forEach((t, k) => {
  const ox = (k % colsN) * tw;
  const oy = Math.floor(k / colsN) * th;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const s = ((cy0 + Math.floor(y / zoom)) * t.width + cx0 + Math.floor(x / zoom)) * 4;
      const d = ((oy + y) * sheet.width + ox + x) * 4;
      sheet.data.set(t.data.subarray(s, s + 4), d);
      // Thin grid line between tiles.
      if (x === 0 || y === 0) sheet.data.set([255, 0, 255, 255], d);
    }
});
mkdirSync('test/artifacts', { recursive: true });
const out = `test/artifacts/${prefix}_${strength}.png`;
savePng(out, sheet);
console.log(out, sheet.width, sheet.height, 'zoom', zoom);
