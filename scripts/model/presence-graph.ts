// Second opinion on face presence: embed the plain 2020 mesh model
// (face_landmark.tflite, same 192×192 input) into the refined attention graph
// and output the larger of the two face-flag logits.
//
// Why: the attention model's presence head collapses on strongly turned faces
// (a 35°-yaw portrait scores 0.2–0.3 after sigmoid) where the plain mesh's head
// stays above 0.95; on every other fixture the two agree. Landmarks still come
// from the attention model only. The plain model's ops, tensors and weights are
// appended unchanged; its input tensor is replaced by the host graph's input.
import { OPTIONS_TYPE } from './builtin-options';
import { BuiltinOp, opcodeOf, type Model, type OperatorCode } from './tflite-types';

/** Output names of face_landmark.tflite, in order: 468×3 mesh, face-flag logit. */
export const PLAIN_MESH_OUTPUTS = ['conv2d_21', 'conv2d_31'] as const;
const PREFIX = 'presence_mesh/';

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

/**
 * Returns a copy of `host` (subgraph 0: one [1,192,192,3] input; outputs [landmarks, presence])
 * whose presence output is max(host presence, plain mesh presence).
 */
export function addPresenceSecondOpinion(host: Model, plain: Model): Model {
  checkPlainMesh(plain);
  const [hg] = host.subgraphs;
  if (host.subgraphs.length !== 1 || hg.inputs.length !== 1 || hg.outputs.length !== 2) {
    throw new Error('presence: host model must have one subgraph with one input and two outputs');
  }
  const hostInput = hg.tensors[hg.inputs[0]];
  if (hostInput?.shape?.join() !== '1,192,192,3') throw new Error('presence: host input is not [1,192,192,3]');

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

  let maxCode = operatorCodes.findIndex((c) => opcodeOf(c) === BuiltinOp.MAXIMUM && c.customCode === undefined);
  if (maxCode < 0) {
    operatorCodes.push({ deprecatedBuiltinCode: BuiltinOp.MAXIMUM, version: 1, builtinCode: BuiltinOp.MAXIMUM });
    maxCode = operatorCodes.length - 1;
  }
  const [landmarks, hostPresence] = hg.outputs;
  const plainPresence = tensorMap[pg.outputs[1]];
  tensors.push({ name: 'presence', shape: [...(hg.tensors[hostPresence].shape ?? [1, 1, 1, 1])], type: hg.tensors[hostPresence].type, buffer: 0 });
  const presence = tensors.length - 1;
  operators.push({
    opcodeIndex: maxCode,
    inputs: [hostPresence, plainPresence],
    outputs: [presence],
    builtinOptions: { type: OPTIONS_TYPE.MaximumMinimumOptions, values: [] },
  });
  return {
    ...host,
    operatorCodes,
    buffers,
    subgraphs: [{ ...hg, tensors, operators, outputs: [landmarks, presence] }],
  };
}
