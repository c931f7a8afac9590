// Plain-object model of the parts of the TFLite schema (schema.fbs, "TFL3")
// that MediaPipe's face models use. Optional scalars are `undefined` when the
// field is absent in the file so that a read/write round trip keeps presence.
import type { BuiltinOptions } from './builtin-options';

/** schema.fbs `enum TensorType : byte`. */
export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 } as const;

/** schema.fbs `enum BuiltinOperator` (values we refer to by name). */
export const BuiltinOp = {
  ADD: 0,
  CONCATENATION: 2,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  MUL: 18,
  RESHAPE: 22,
  CUSTOM: 32,
  PAD: 34,
  MAXIMUM: 55,
} as const;

export interface QuantizationParameters {
  min?: number[];
  max?: number[];
  scale?: number[];
  zeroPoint?: bigint[];
  quantizedDimension?: number;
}

export interface Tensor {
  shape?: number[];
  type?: number;
  buffer?: number;
  name?: string;
  quantization?: QuantizationParameters;
  isVariable?: boolean;
  shapeSignature?: number[];
  hasRank?: boolean;
}

export interface Operator {
  opcodeIndex?: number;
  inputs?: number[];
  outputs?: number[];
  builtinOptions?: BuiltinOptions;
  customOptions?: Uint8Array;
  customOptionsFormat?: number;
  mutatingVariableInputs?: Uint8Array;
  intermediates?: number[];
}

export interface SubGraph {
  tensors: Tensor[];
  inputs: number[];
  outputs: number[];
  operators: Operator[];
  name?: string;
}

export interface OperatorCode {
  deprecatedBuiltinCode?: number;
  customCode?: string;
  version?: number;
  builtinCode?: number;
}

export interface Buffer {
  data?: Uint8Array;
}

export interface Metadata {
  name?: string;
  buffer?: number;
}

export interface Model {
  version?: number;
  operatorCodes: OperatorCode[];
  subgraphs: SubGraph[];
  description?: string;
  buffers: Buffer[];
  metadataBuffer?: number[];
  metadata?: Metadata[];
}

/** The effective builtin code: new files use builtin_code, old ones only the byte field. */
export function opcodeOf(code: OperatorCode): number {
  return Math.max(code.builtinCode ?? 0, code.deprecatedBuiltinCode ?? 0);
}
