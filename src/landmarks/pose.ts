import type { HeadPose } from '../types.js';

const DEG = 180 / Math.PI;

/**
 * Head pose from MediaPipe's facial transformation matrix (column-major 4×4 mapping the canonical
 * face model into camera space: x right, y up, z toward the viewer). We decompose the rotation as
 * R = Ry(yaw) · Rx(pitch) · Rz(roll) and flip signs so that the reported angles follow image
 * conventions: roll positive = clockwise in the image, pitch positive = looking down, yaw positive =
 * the subject's nose points toward the image's left.
 */
export function poseFromMatrix(m: ArrayLike<number>): HeadPose {
  // Column-major: element (row r, col c) is m[c * 4 + r].
  const r02 = m[8];
  const r12 = m[9];
  const r22 = m[10];
  const r10 = m[1];
  const r11 = m[5];
  const pitch = Math.asin(Math.max(-1, Math.min(1, -r12))) * DEG;
  const yaw = Math.atan2(r02, r22) * DEG;
  const roll = Math.atan2(r10, r11) * DEG;
  return { yaw: -yaw, pitch: -pitch, roll: -roll };
}
