import type { FaceGeometry } from './frame.js';
import { pairBand, squeeze, type Primitive } from './primitives.js';

/**
 * 6 slim_chin: narrows the chin, pointier. A horizontal pinch centred on the chin (mean of
 * 148/377, 176/400, on the midline) narrows the chin and the area below the mouth by 12 %; the
 * landmark model places the chin contour from the width of the whole lower face, so a gentler
 * side band from the cheek down to the jaw (12 % toward the midline, tapering to the cheekbone) goes
 * with it; centred at the cheek, the band left the jaw below it looking swollen.
 */
export function slim_chin(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  const c0 = g.centroid([148, 377, 176, 400]);
  const [, vc] = g.toFace(c0[0], c0[1]);
  const c = g.toImage(g.mid(vc), vc);
  return [...squeeze(g, c, 0.12 * s, 0.45 * W, 0.3 * W, 0.45), ...pairBand(g, [132, 58], [361, 288], 0.12 * s, 0.45, 0.45, 0.3, 0.05)];
}
