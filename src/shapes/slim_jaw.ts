import type { FaceGeometry } from './frame.js';
import { pairInward, type Primitive } from './primitives.js';

/** 7 slim_jaw: the mandible angles (58/288, 172/397, 136/365) move inward; the chin (148/377) is outside the falloff. */
export function slim_jaw(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return [
    ...pairInward(g, 58, 288, 0.05 * s, 0.16, 0.14),
    ...pairInward(g, 172, 397, 0.055 * s, 0.16, 0.14),
  ];
}
