// Encode the plain objects of tflite-types.ts back into a .tflite FlatBuffer.
// Mirrors tflite-read.ts field by field (same schema.fbs field ids).
import type { Builder } from 'flatbuffers';
import { add, createBytes, createF32s, createI32s, createI64s, createRefs, createStr, newBuilder, type Ref } from './flatbuffer-table';
import { writeOptions } from './builtin-options';
import type {
  Buffer,
  Metadata,
  Model,
  Operator,
  OperatorCode,
  QuantizationParameters,
  SubGraph,
  Tensor,
} from './tflite-types';

/** schema.fbs: `data:[ubyte] (force_align: 16)`. */
const BUFFER_ALIGN = 16;

function writeQuantization(b: Builder, q: QuantizationParameters): Ref {
  const min = createF32s(b, q.min);
  const max = createF32s(b, q.max);
  const scale = createF32s(b, q.scale);
  const zeroPoint = createI64s(b, q.zeroPoint);
  b.startObject(7);
  add.ref(b, 0, min);
  add.ref(b, 1, max);
  add.ref(b, 2, scale);
  add.ref(b, 3, zeroPoint);
  add.i32(b, 6, q.quantizedDimension);
  return b.endObject();
}

function writeTensor(b: Builder, t: Tensor): Ref {
  const shape = createI32s(b, t.shape);
  const name = createStr(b, t.name);
  const quantization = t.quantization ? writeQuantization(b, t.quantization) : 0;
  const shapeSignature = createI32s(b, t.shapeSignature);
  b.startObject(9);
  add.ref(b, 0, shape);
  add.i8(b, 1, t.type);
  add.i32(b, 2, t.buffer);
  add.ref(b, 3, name);
  add.ref(b, 4, quantization);
  add.u8(b, 5, t.isVariable);
  add.ref(b, 7, shapeSignature);
  add.u8(b, 8, t.hasRank);
  return b.endObject();
}

function writeOperator(b: Builder, op: Operator): Ref {
  const inputs = createI32s(b, op.inputs);
  const outputs = createI32s(b, op.outputs);
  const options = op.builtinOptions ? writeOptions(b, op.builtinOptions) : 0;
  const custom = createBytes(b, op.customOptions);
  const mutating = createBytes(b, op.mutatingVariableInputs);
  const intermediates = createI32s(b, op.intermediates);
  b.startObject(9);
  add.i32(b, 0, op.opcodeIndex);
  add.ref(b, 1, inputs);
  add.ref(b, 2, outputs);
  add.u8(b, 3, op.builtinOptions?.type);
  add.ref(b, 4, options);
  add.ref(b, 5, custom);
  add.i8(b, 6, op.customOptionsFormat);
  add.ref(b, 7, mutating);
  add.ref(b, 8, intermediates);
  return b.endObject();
}

function writeSubGraph(b: Builder, g: SubGraph): Ref {
  const tensors = createRefs(b, g.tensors.map((t) => writeTensor(b, t)));
  const inputs = createI32s(b, g.inputs);
  const outputs = createI32s(b, g.outputs);
  const operators = createRefs(b, g.operators.map((op) => writeOperator(b, op)));
  const name = createStr(b, g.name);
  b.startObject(5);
  add.ref(b, 0, tensors);
  add.ref(b, 1, inputs);
  add.ref(b, 2, outputs);
  add.ref(b, 3, operators);
  add.ref(b, 4, name);
  return b.endObject();
}

function writeOperatorCode(b: Builder, c: OperatorCode): Ref {
  const custom = createStr(b, c.customCode);
  b.startObject(4);
  add.i8(b, 0, c.deprecatedBuiltinCode);
  add.ref(b, 1, custom);
  add.i32(b, 2, c.version);
  add.i32(b, 3, c.builtinCode);
  return b.endObject();
}

function writeBuffer(b: Builder, buf: Buffer): Ref {
  const data = createBytes(b, buf.data, BUFFER_ALIGN);
  b.startObject(1);
  add.ref(b, 0, data);
  return b.endObject();
}

function writeMetadata(b: Builder, m: Metadata): Ref {
  const name = createStr(b, m.name);
  b.startObject(2);
  add.ref(b, 0, name);
  add.i32(b, 1, m.buffer);
  return b.endObject();
}

export function writeModel(m: Model): Uint8Array {
  const dataBytes = m.buffers.reduce((n, buf) => n + (buf.data?.length ?? 0) + BUFFER_ALIGN, 0);
  const b = newBuilder(dataBytes + (1 << 20));
  // Buffers first: they are the bulk of the file, so they end up at its end.
  const buffers = createRefs(b, m.buffers.map((buf) => writeBuffer(b, buf)));
  const operatorCodes = createRefs(b, m.operatorCodes.map((c) => writeOperatorCode(b, c)));
  const subgraphs = createRefs(b, m.subgraphs.map((g) => writeSubGraph(b, g)));
  const description = createStr(b, m.description);
  const metadataBuffer = createI32s(b, m.metadataBuffer);
  const metadata = m.metadata ? createRefs(b, m.metadata.map((x) => writeMetadata(b, x))) : 0;
  b.startObject(7);
  add.i32(b, 0, m.version);
  add.ref(b, 1, operatorCodes);
  add.ref(b, 2, subgraphs);
  add.ref(b, 3, description);
  add.ref(b, 4, buffers);
  add.ref(b, 5, metadataBuffer);
  add.ref(b, 6, metadata);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}
