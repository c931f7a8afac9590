// Graph surgery on face_landmark_with_attention.tflite: append the landmark
// refinement (see refine-matrices.ts) and expose exactly the two outputs the
// MediaPipe Tasks Face Landmarker graph reads:
//   0: landmarks [1,1,1,1434] (478 × xyz, in 192-px input units)
//   1: presence  [1,1,1,1]    (raw face-flag logit; the task applies sigmoid)
import { OPTIONS_TYPE } from './builtin-options';
import { GraphBuilder } from './graph-builder';
import { PART_LEN, OUT_LEN, MESH_LEN, buildRefineMatrices } from './refine-matrices';
import { PART_POINTS } from './refine-indices';
import { BuiltinOp, type Model } from './tflite-types';

/** Output names of the attention model, in its output order. */
export const ATTENTION_OUTPUTS = [
  'output_mesh_identity',
  'output_lips',
  'output_left_eye',
  'output_right_eye',
  'output_left_iris',
  'output_right_iris',
  'conv_faceflag',
] as const;

const NO_ACTIVATION = 0;

/** Check that the model is the attention mesh model we know how to rewrite. */
function checkAttentionModel(model: Model): number[] {
  const g = model.subgraphs[0];
  if (model.subgraphs.length !== 1 || !g) throw new Error('landmark model: expected exactly one subgraph');
  const names = g.outputs.map((i) => g.tensors[i]?.name);
  if (names.join() !== ATTENTION_OUTPUTS.join()) {
    throw new Error(`landmark model: unexpected outputs [${names.join(', ')}]`);
  }
  const expectedSizes = [MESH_LEN, ...PART_POINTS.map((n) => 2 * n), 1];
  g.outputs.forEach((i, k) => {
    const shape = g.tensors[i].shape ?? [];
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.length !== 4 || size !== expectedSizes[k]) {
      throw new Error(`landmark model: output ${names[k]} has shape [${shape.join(',')}]`);
    }
  });
  return g.outputs;
}

/** Deep-enough copy: we only append to these arrays and replace `outputs`. */
function cloneForAppend(model: Model): Model {
  const [g] = model.subgraphs;
  return {
    ...model,
    operatorCodes: [...model.operatorCodes],
    buffers: [...model.buffers],
    subgraphs: [{ ...g, tensors: [...g.tensors], operators: [...g.operators], outputs: [...g.outputs] }],
  };
}

export function addLandmarkRefinement(source: Model): Model {
  const [mesh, lips, leftEye, rightEye, leftIris, rightIris, faceFlag] = checkAttentionModel(source);
  const model = cloneForAppend(source);
  const b = new GraphBuilder(model);
  const w = buildRefineMatrices();
  const fc = { type: OPTIONS_TYPE.FullyConnectedOptions, values: [NO_ACTIVATION] };
  const reshape = (shape: number[]) => ({ type: OPTIONS_TYPE.ReshapeOptions, values: [shape] });

  // Iris z: mean z of each eye contour. FULLY_CONNECTED flattens [1,1,1,1404].
  const wAvg = b.float16('refine/w_avg', [2, MESH_LEN], w.wAvg);
  const avg = b.tensor('refine/iris_z', [1, 2]);
  b.op(BuiltinOp.FULLY_CONNECTED, [mesh, wAvg, -1], [avg], fc);
  const avg4 = b.tensor('refine/iris_z_4d', [1, 1, 1, 2]);
  b.op(BuiltinOp.RESHAPE, [avg, b.int32('refine/shape_1x1x1x2', [1, 1, 1, 2])], [avg4], reshape([1, 1, 1, 2]));

  // All refined values in one vector (order = refine-matrices.ts `p`).
  const parts = b.tensor('refine/parts', [1, 1, 1, PART_LEN]);
  b.op(BuiltinOp.CONCATENATION, [lips, leftEye, rightEye, leftIris, rightIris, avg4], [parts], {
    type: OPTIONS_TYPE.ConcatenationOptions,
    values: [3, NO_ACTIVATION],
  });

  // Scatter them to their landmark slots.
  const wPart = b.float16('refine/w_part', [OUT_LEN, PART_LEN], w.wPart);
  const scattered = b.tensor('refine/scattered', [1, OUT_LEN]);
  b.op(BuiltinOp.FULLY_CONNECTED, [parts, wPart, -1], [scattered], fc);
  const scattered4 = b.tensor('refine/scattered_4d', [1, 1, 1, OUT_LEN]);
  const outShape = [1, 1, 1, OUT_LEN];
  b.op(BuiltinOp.RESHAPE, [scattered, b.int32('refine/shape_1x1x1x1434', outShape)], [scattered4], reshape(outShape));

  // Mesh values that no refinement overrides pass through.
  const padded = b.tensor('refine/mesh_padded', outShape);
  const padding = b.int32('refine/pad_iris', [0, 0, 0, 0, 0, 0, 0, OUT_LEN - MESH_LEN], [4, 2]);
  b.op(BuiltinOp.PAD, [mesh, padding], [padded], { type: OPTIONS_TYPE.PadOptions, values: [] });
  const kept = b.tensor('refine/mesh_kept', outShape);
  b.op(BuiltinOp.MUL, [padded, b.float32('refine/keep', outShape, w.keep)], [kept], {
    type: OPTIONS_TYPE.MulOptions,
    values: [NO_ACTIVATION],
  });

  const landmarks = b.tensor('landmarks', outShape);
  b.op(BuiltinOp.ADD, [kept, scattered4], [landmarks], { type: OPTIONS_TYPE.AddOptions, values: [NO_ACTIVATION] });

  model.subgraphs[0].outputs = [landmarks, faceFlag];
  return model;
}
