import type { FaceGeometry } from './frame.js';
import { squeeze, type Primitive } from './primitives.js';

/**
 * 6 slim_chin: narrows the chin, pointier: a horizontal pinch (10 % at strength 1) about the
 * midline, centred on the chin sides (148/377, 176/400) and reaching up only to the lower lip
 * (17), so the mouth keeps its width. No band along the jaw: the chin alone narrows, and the
 * smooth pinch keeps the chin outline trackable by pixel motion (a jaw band moved the contour
 * so differently from the neck that its points could not be tracked). The landmark model reads a
 * narrower chin mostly as a higher one (re-detected d(148,377) changes 0…−1 %), so pixel motion
 * is what shows this edit.
 */
export function slim_chin(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  const c0 = g.centroid([148, 377, 176, 400]);
  const [, vc] = g.toFace(c0[0], c0[1]);
  const c = g.toImage(g.mid(vc), vc);
  const ry = Math.max(vc - g.v(17), 0.1 * W);
  return squeeze(g, c, 0.1 * s, 0.42 * W, ry, 0.35);
}
