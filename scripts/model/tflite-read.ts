// Decode a .tflite FlatBuffer into the plain objects of tflite-types.ts.
// Field ids follow tensorflow/lite/schema/schema.fbs. Any field we do not
// model makes the reader throw (see TableReader.assertOnlyFields), so a model
// can never lose information silently on the way through this tool.
import { TableReader } from './flatbuffer-table';
import { readOptions } from './builtin-options';
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

function readQuantization(t: TableReader): QuantizationParameters {
  // 0 min, 1 max, 2 scale, 3 zero_point, 4/5 details (union), 6 quantized_dimension
  if (t.has(4) || t.has(5)) throw new Error('QuantizationParameters: custom details are not supported');
  t.assertOnlyFields(7);
  return {
    min: t.f32s(0),
    max: t.f32s(1),
    scale: t.f32s(2),
    zeroPoint: t.i64s(3),
    quantizedDimension: t.i32(6),
  };
}

function readTensor(t: TableReader): Tensor {
  // 0 shape, 1 type, 2 buffer, 3 name, 4 quantization, 5 is_variable,
  // 6 sparsity (unsupported), 7 shape_signature, 8 has_rank
  if (t.has(6)) throw new Error('Tensor: sparsity is not supported');
  t.assertOnlyFields(9);
  const q = t.table(4, 'QuantizationParameters');
  return {
    shape: t.i32s(0),
    type: t.i8(1),
    buffer: t.u32(2),
    name: t.str(3),
    quantization: q && readQuantization(q),
    isVariable: t.bool(5),
    shapeSignature: t.i32s(7),
    hasRank: t.bool(8),
  };
}

function readOperator(t: TableReader): Operator {
  // 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type,
  // 4 builtin_options, 5 custom_options, 6 custom_options_format,
  // 7 mutating_variable_inputs, 8 intermediates
  t.assertOnlyFields(9);
  const optionsType = t.u8(3) ?? 0;
  const options = t.table(4, 'BuiltinOptions');
  return {
    opcodeIndex: t.u32(0),
    inputs: t.i32s(1),
    outputs: t.i32s(2),
    builtinOptions: optionsType !== 0 && options ? readOptions(optionsType, options) : undefined,
    customOptions: t.bytes(5),
    customOptionsFormat: t.i8(6),
    mutatingVariableInputs: t.bytes(7),
    intermediates: t.i32s(8),
  };
}

function readSubGraph(t: TableReader): SubGraph {
  // 0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name
  t.assertOnlyFields(5);
  return {
    tensors: (t.tables(0, 'Tensor') ?? []).map(readTensor),
    inputs: t.i32s(1) ?? [],
    outputs: t.i32s(2) ?? [],
    operators: (t.tables(3, 'Operator') ?? []).map(readOperator),
    name: t.str(4),
  };
}

function readOperatorCode(t: TableReader): OperatorCode {
  // 0 deprecated_builtin_code, 1 custom_code, 2 version, 3 builtin_code
  t.assertOnlyFields(4);
  return { deprecatedBuiltinCode: t.i8(0), customCode: t.str(1), version: t.i32(2), builtinCode: t.i32(3) };
}

function readBuffer(t: TableReader): Buffer {
  // 0 data; 1 offset / 2 size (external data of >2 GB models) are unsupported
  t.assertOnlyFields(1);
  return { data: t.bytes(0) };
}

function readMetadata(t: TableReader): Metadata {
  // 0 name, 1 buffer
  t.assertOnlyFields(2);
  return { name: t.str(0), buffer: t.u32(1) };
}

export function readModel(bytes: Uint8Array, what = 'model'): Model {
  const t = TableReader.root(bytes, `Model (${what})`, 'TFL3');
  // 0 version, 1 operator_codes, 2 subgraphs, 3 description, 4 buffers,
  // 5 metadata_buffer, 6 metadata; 7 signature_defs is unsupported
  t.assertOnlyFields(7);
  return {
    version: t.u32(0),
    operatorCodes: (t.tables(1, 'OperatorCode') ?? []).map(readOperatorCode),
    subgraphs: (t.tables(2, 'SubGraph') ?? []).map(readSubGraph),
    description: t.str(3),
    buffers: (t.tables(4, 'Buffer') ?? []).map(readBuffer),
    metadataBuffer: t.i32s(5),
    metadata: t.tables(6, 'Metadata')?.map(readMetadata),
  };
}
