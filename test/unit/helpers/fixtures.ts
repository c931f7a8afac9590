import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Face } from '../../../src/types.js';

export interface LandmarkFixture {
  file: string;
  name: string;
  width: number;
  height: number;
  faces: Face[];
}

export const LANDMARK_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../data/landmarks');

/** Real MediaPipe landmarks of the fixture photos (written by scripts/dump-landmarks.ts). */
export function landmarkFixtures(): LandmarkFixture[] {
  let names: string[] = [];
  try {
    names = readdirSync(LANDMARK_DIR).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return names.map((f) => ({ ...JSON.parse(readFileSync(join(LANDMARK_DIR, f), 'utf8')), name: f.replace(/\.json$/, '') }));
}

export function landmarkFixture(prefix: string): LandmarkFixture | undefined {
  return landmarkFixtures().find((f) => f.name.startsWith(prefix));
}

/** The face rotated in the image plane by `deg` about (cx, cy) (a synthetic roll), pose updated. */
export function rollFace(face: Face, deg: number, cx: number, cy: number): Face {
  const a = (deg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const landmarks = face.landmarks.map(([x, y, z]) => [cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy), z] as [number, number, number]);
  const xs = landmarks.map((p) => p[0]);
  const ys = landmarks.map((p) => p[1]);
  return {
    landmarks,
    box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
    pose: { ...face.pose, roll: face.pose.roll + deg },
    confidence: face.confidence,
  };
}

/** The face scaled about (cx, cy) and shifted by (ox, oy). */
export function scaleFace(face: Face, k: number, cx: number, cy: number, ox = 0, oy = 0): Face {
  const landmarks = face.landmarks.map(([x, y, z]) => [cx + k * (x - cx) + ox, cy + k * (y - cy) + oy, z * k] as [number, number, number]);
  const xs = landmarks.map((p) => p[0]);
  const ys = landmarks.map((p) => p[1]);
  return { landmarks, box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], pose: { ...face.pose }, confidence: face.confidence };
}
