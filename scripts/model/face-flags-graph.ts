// Carry both networks' face-flag logits out of the landmark model, where the
// Face Landmarker task passes them to JavaScript: as a fourth value per
// landmark, which TensorsToLandmarksCalculator decodes as `visibility`.
//
// Why: the task applies its presence threshold to the model's second output and
// then drops the score; FaceLandmarkerResult carries no per-face confidence. The
// library's acceptance rule (src/landmarks/acceptance.ts) needs the flags, so
//   landmarks [1,1,1,1434] (x, y, z × 478)
// becomes
//   landmarks [1,1,1,1912] (x, y, z, v × 478), v = [attention flag, plain flag, 0, …, 0]
// i.e. point 0's visibility is the attention mesh's face-flag logit, point 1's
// the plain mesh's, every other point's 0. Coordinates are unchanged.
import { FLAG_POINTS } from '../../src/landmarks/acceptance';
import { OPTIONS_TYPE } from './builtin-options';
import type { GraphBuilder } from './graph-builder';
import { BuiltinOp } from './tflite-types';

export const POINTS = 478;
/** Values per point in the landmark output: x, y, z and the visibility slot. */
export const VALUES_PER_POINT = 4;

const NO_ACTIVATION = 0;

/**
 * Appends the ops to `b`'s graph and returns the new landmark tensor ([1,1,1,1912]).
 * `landmarks` is [1,1,1,1434]; `attentionFlag` and `plainFlag` are [1,1,1,1] logits.
 */
export function addFlagsToLandmarks(b: GraphBuilder, landmarks: number, attentionFlag: number, plainFlag: number): number {
  // The library reads the flags where FLAG_POINTS says; this graph writes points 0 and 1.
  if (FLAG_POINTS.attention !== 0 || FLAG_POINTS.plain !== 1) throw new Error('face flags: FLAG_POINTS must be { attention: 0, plain: 1 }');
  const reshape = (input: number, name: string, shape: number[]) => {
    const out = b.tensor(name, shape);
    b.op(BuiltinOp.RESHAPE, [input, b.int32(`${name}/shape`, shape)], [out], { type: OPTIONS_TYPE.ReshapeOptions, values: [shape] });
    return out;
  };
  const concat = (inputs: number[], name: string, shape: number[], axis: number) => {
    const out = b.tensor(name, shape);
    b.op(BuiltinOp.CONCATENATION, inputs, [out], { type: OPTIONS_TYPE.ConcatenationOptions, values: [axis, NO_ACTIVATION] });
    return out;
  };

  const flags = concat([attentionFlag, plainFlag], 'flags/both', [1, 1, 1, 2], 3);
  const column = reshape(flags, 'flags/column', [1, 2, 1]);
  const visibility = b.tensor('flags/visibility', [1, POINTS, 1]);
  const padding = b.int32('flags/pad', [0, 0, 0, POINTS - 2, 0, 0], [3, 2]);
  b.op(BuiltinOp.PAD, [column, padding], [visibility], { type: OPTIONS_TYPE.PadOptions, values: [] });
  const points = reshape(landmarks, 'flags/points', [1, POINTS, 3]);
  const withFlags = concat([points, visibility], 'flags/points_with_flags', [1, POINTS, VALUES_PER_POINT], 2);
  return reshape(withFlags, 'landmarks_with_flags', [1, 1, 1, POINTS * VALUES_PER_POINT]);
}
