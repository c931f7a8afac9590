// Two-model ensemble: embed the plain 2020 mesh model (face_landmark.tflite,
// same 192×192 input) into the refined attention graph, then
//   landmarks = mean of the two meshes, except the points in ATTENTION_ONLY
//               and the irises, which keep the attention model's values
//   presence  = the larger of the two face-flag logits (the task's own gate),
//   and both logits ride along as the visibility of landmarks 0 and 1
//   (face-flags-graph.ts), for the library's stricter acceptance rule.
//
// Why: the two networks were trained separately and their errors are partly
// independent, so the mean lands closer to Google's 2023 model (the worst
// fixture face: 3.16 % → 2.91 % of face width; see models/README.md).
// And the attention model's presence head collapses on strongly turned faces
// (a woman looking over her shoulder scores 0.2–0.3 after sigmoid) where the
// plain mesh's head stays above 0.95; elsewhere the two agree.
// The plain model's ops, tensors and weights are appended unchanged; its input
// tensor is replaced by the host graph's input.
import { OPTIONS_TYPE } from './builtin-options';
import { addFlagsToLandmarks } from './face-flags-graph';
import { GraphBuilder } from './graph-builder';
import { LEFT_EYE, LIPS, RIGHT_EYE } from './refine-indices';
import { MESH_LEN, OUT_LEN } from './refine-matrices';
import { BuiltinOp, opcodeOf, type Model, type OperatorCode } from './tflite-types';

/** Output names of face_landmark.tflite, in order: 468×3 mesh, face-flag logit. */
export const PLAIN_MESH_OUTPUTS = ['conv2d_21', 'conv2d_31'] as const;
const PREFIX = 'plain_mesh/';

function sameCode(a: OperatorCode, b: OperatorCode): boolean {
  return opcodeOf(a) === opcodeOf(b) && a.customCode === b.customCode && (a.version ?? 1) === (b.version ?? 1);
}

function checkPlainMesh(model: Model): void {
  const g = model.subgraphs[0];
  if (model.subgraphs.length !== 1 || !g) throw new Error('plain mesh model: expected exactly one subgraph');
  const outs = g.outputs.map((i) => g.tensors[i]?.name);
  if (outs.join() !== PLAIN_MESH_OUTPUTS.join()) throw new Error(`plain mesh model: unexpected outputs [${outs.join(', ')}]`);
  const input = g.tensors[g.inputs[0]];
  if (g.inputs.length !== 1 || input?.shape?.join() !== '1,192,192,3') throw new Error('plain mesh model: expected one [1,192,192,3] input');
}

/** The chin: the lower face oval from the jaw corners' level down (148–152–377 …) and the chin surface. */
export const CHIN_POINTS = [152, 148, 176, 149, 150, 136, 377, 400, 378, 379, 365, 175, 199, 200, 171, 396, 140, 369, 32, 262, 208, 428] as const;

/** Mesh points that keep the attention model's value. */
export const ATTENTION_ONLY = new Set<number>([...LIPS, ...LEFT_EYE, ...RIGHT_EYE, ...CHIN_POINTS]);

/**
 * Per-value weights (x, y, z of 478 points) of the attention and plain landmarks. The plain mesh is
 * stiffer where a reshape must be seen to act: re-detected on warped photos, averaging it in cut how
 * far the eyes and lips (placed by the attention model's refinement heads) and the chin follow the
 * warp by up to half, so there (and for the irises, which only the attention model has) the
 * attention value is kept; every other mesh point is the mean of the two.
 */
export function ensembleWeights(): { wHost: Float32Array; wPlain: Float32Array } {
  const wHost = new Float32Array(OUT_LEN).fill(1);
  const wPlain = new Float32Array(OUT_LEN);
  for (let p = 0; p < MESH_LEN / 3; p++) {
    if (ATTENTION_ONLY.has(p)) continue;
    wHost.fill(0.5, 3 * p, 3 * p + 3);
    wPlain.fill(0.5, 3 * p, 3 * p + 3);
  }
  return { wHost, wPlain };
}

/**
 * Returns a copy of `host` (subgraph 0: one [1,192,192,3] input; outputs [landmarks [1,1,1,1434],
 * presence]) with the plain mesh embedded: landmarks averaged with it and carrying both face
 * flags ([1,1,1,1912], see face-flags-graph.ts), presence the maximum.
 */
export function addPlainMeshEnsemble(host: Model, plain: Model): Model {
  checkPlainMesh(plain);
  const [hg] = host.subgraphs;
  if (host.subgraphs.length !== 1 || hg.inputs.length !== 1 || hg.outputs.length !== 2) {
    throw new Error('ensemble: host model must have one subgraph with one input and two outputs');
  }
  const hostInput = hg.tensors[hg.inputs[0]];
  if (hostInput?.shape?.join() !== '1,192,192,3') throw new Error('ensemble: host input is not [1,192,192,3]');

  const pg = plain.subgraphs[0];
  const operatorCodes = [...host.operatorCodes];
  const codeMap = plain.operatorCodes.map((c) => {
    const found = operatorCodes.findIndex((h) => sameCode(h, c));
    if (found >= 0) return found;
    operatorCodes.push({ ...c });
    return operatorCodes.length - 1;
  });
  // Buffer 0 is the schema's shared empty buffer; every other buffer is appended.
  const buffers = [...host.buffers];
  const bufferMap = plain.buffers.map((b, i) => {
    if (i === 0) return 0;
    buffers.push(b);
    return buffers.length - 1;
  });
  const tensors = [...hg.tensors];
  const tensorMap = pg.tensors.map((t, i) => {
    if (i === pg.inputs[0]) return hg.inputs[0];
    tensors.push({ ...t, name: PREFIX + (t.name ?? String(i)), buffer: bufferMap[t.buffer ?? 0] });
    return tensors.length - 1;
  });
  const mapTensors = (list?: number[]) => list?.map((i) => (i < 0 ? i : tensorMap[i]));
  const operators = [
    ...hg.operators,
    ...pg.operators.map((op) => ({
      ...op,
      opcodeIndex: codeMap[op.opcodeIndex ?? 0],
      inputs: mapTensors(op.inputs),
      outputs: mapTensors(op.outputs),
      intermediates: mapTensors(op.intermediates),
    })),
  ];

  const model: Model = { ...host, operatorCodes, buffers, subgraphs: [{ ...hg, tensors, operators }] };
  const b = new GraphBuilder(model);
  const [hostLandmarks, hostPresence] = hg.outputs;
  const [plainMesh, plainPresence] = pg.outputs.map((i) => tensorMap[i]);
  const shape = [1, 1, 1, OUT_LEN];
  if (tensors[hostLandmarks].shape?.join() !== shape.join()) throw new Error('ensemble: host landmarks are not [1,1,1,1434]');
  tensors[hostLandmarks] = { ...tensors[hostLandmarks], name: 'attention/landmarks' };

  const { wHost, wPlain } = ensembleWeights();
  const mul = { type: OPTIONS_TYPE.MulOptions, values: [0] };
  const padded = b.tensor(PREFIX + 'mesh_padded', shape);
  b.op(BuiltinOp.PAD, [plainMesh, b.int32(PREFIX + 'pad_iris', [0, 0, 0, 0, 0, 0, 0, OUT_LEN - MESH_LEN], [4, 2])], [padded], {
    type: OPTIONS_TYPE.PadOptions,
    values: [],
  });
  const hostPart = b.tensor('ensemble/attention_weighted', shape);
  b.op(BuiltinOp.MUL, [hostLandmarks, b.float32('ensemble/w_attention', shape, wHost)], [hostPart], mul);
  const plainPart = b.tensor('ensemble/plain_weighted', shape);
  b.op(BuiltinOp.MUL, [padded, b.float32('ensemble/w_plain', shape, wPlain)], [plainPart], mul);
  const landmarks = b.tensor('landmarks', shape);
  b.op(BuiltinOp.ADD, [hostPart, plainPart], [landmarks], { type: OPTIONS_TYPE.AddOptions, values: [0] });

  const presence = b.tensor('presence', [...(tensors[hostPresence].shape ?? [1, 1, 1, 1])]);
  b.op(BuiltinOp.MAXIMUM, [hostPresence, plainPresence], [presence], { type: OPTIONS_TYPE.MaximumMinimumOptions, values: [] });

  model.subgraphs[0].outputs = [addFlagsToLandmarks(b, landmarks, hostPresence, plainPresence), presence];
  return model;
}
