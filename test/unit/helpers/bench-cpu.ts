// CPU warp / field build timing on a synthetic 1920×1080 with a ~600 px face: npx tsx test/unit/helpers/bench-cpu.ts
import { buildField } from '../../../src/field/build.js';
import { SHAPE_NAMES } from '../../../src/shapes/names.js';
import { warpCpu } from '../../../src/warp/cpu.js';
import { landmarkFixture, scaleFace } from './fixtures.js';

const f = landmarkFixture('face01')!.faces[0];
const w0 = Math.hypot(f.landmarks[234][0] - f.landmarks[454][0], f.landmarks[234][1] - f.landmarks[454][1]);
const face = scaleFace(f, 600 / w0, 225, 125, 960 - 225, 400 - 125);
const W = 1920;
const H = 1080;
const data = new Uint8ClampedArray(W * H * 4);
// Noise colours, opaque like a photo.
for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? 255 : (i * 2654435761) >>> 24;
const items = [{ face, edits: SHAPE_NAMES.map((shape) => ({ shape, strength: 1 })) }];
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const build: number[] = [];
const warp: number[] = [];
let field = buildField(W, H, items);
for (let i = 0; i < 25; i++) {
  let t = performance.now();
  field = buildField(W, H, items);
  build.push(performance.now() - t);
  t = performance.now();
  warpCpu({ width: W, height: H, data }, field);
  warp.push(performance.now() - t);
}
const r = field.regions[0];
console.log(JSON.stringify({ field_build_ms: +median(build).toFixed(2), cpu_warp_1080p_ms: +median(warp).toFixed(2), region: `${r.px1 - r.px0}x${r.py1 - r.py0}`, cell: r.cell, nodes: r.cols * r.rows }));
