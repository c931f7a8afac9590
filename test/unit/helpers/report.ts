// Prints the proxy table: npx tsx test/unit/helpers/report.ts [fixture-prefix]
import { SHAPE_NAMES } from '../../../src/shapes/names.js';
import { landmarkFixtures } from './fixtures.js';
import { measureShape } from './measure.js';

const want = process.argv[2] ?? '';
const fmt = (x: number, deg: boolean) => (deg ? `${x.toFixed(2)}°` : `${(x * 100).toFixed(2)}%`);
for (const fx of landmarkFixtures().filter((f) => f.name.startsWith(want))) {
  fx.faces.forEach((face, fi) => {
    console.log(`\n## ${fx.name} face ${fi} (width ${Math.round(Math.hypot(face.landmarks[234][0] - face.landmarks[454][0], face.landmarks[234][1] - face.landmarks[454][1]))} px, yaw ${face.pose.yaw.toFixed(0)})`);
    for (const shape of SHAPE_NAMES) {
      const p = measureShape(fx.width, fx.height, face, shape, 1);
      const m = measureShape(fx.width, fx.height, face, shape, -1);
      const prim = p.primary
        .map((x, k) => {
          const deg = x.label.startsWith('angle');
          const ratio = x.change / x.need;
          return `${x.label} ${fmt(x.change, deg)}/${fmt(m.primary[k].change, deg)} (×${ratio.toFixed(2)}${ratio < 1.5 ? ' LOW' : ''})`;
        })
        .join('; ');
      const lim = p.limits.map((x, k) => `${x.label} ${fmt(x.change, false)}/${fmt(m.limits[k].change, false)} ≤${fmt(x.max, false)}${Math.max(Math.abs(x.change), Math.abs(m.limits[k].change)) > x.max ? ' FAIL' : ''}`).join('; ');
      const relations = p.relations.map((r) => `${r.label}: ${r.holds ? 'ok' : 'FAIL'}`).join('; ');
      console.log(
        `${String(SHAPE_NAMES.indexOf(shape)).padStart(2)} ${shape.padEnd(18)} ${prim}${lim ? ' | ' + lim : ''}${relations ? ' | ' + relations : ''} | sel ${(p.selectivity * 100).toFixed(2)}%/${(m.selectivity * 100).toFixed(2)}% det ${p.minDet.toFixed(2)}/${m.minDet.toFixed(2)}${p.scale < 1 || m.scale < 1 ? ` scaled ${p.scale.toFixed(2)}/${m.scale.toFixed(2)}` : ''}`,
      );
    }
  });
}
