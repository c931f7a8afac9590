// Small helpers to append tensors, constants and operators to subgraph 0 of
// a decoded TFLite model. They mutate the model passed in; callers clone first.
import type { BuiltinOptions } from './builtin-options';
import { BuiltinOp, TensorType, opcodeOf, type Model, type Operator, type SubGraph } from './tflite-types';
import { toFloat16Bytes } from './float16';

export class GraphBuilder {
  readonly graph: SubGraph;

  constructor(readonly model: Model) {
    this.graph = model.subgraphs[0];
  }

  /** Index of an activation tensor (no data). */
  tensor(name: string, shape: number[], type: number = TensorType.FLOAT32): number {
    this.graph.tensors.push({ name, shape, type, buffer: 0 });
    return this.graph.tensors.length - 1;
  }

  /** Index of a constant tensor backed by a new buffer. */
  constant(name: string, shape: number[], type: number, data: Uint8Array): number {
    this.model.buffers.push({ data });
    this.graph.tensors.push({ name, shape, type, buffer: this.model.buffers.length - 1 });
    return this.graph.tensors.length - 1;
  }

  int32(name: string, values: number[], shape = [values.length]): number {
    return this.constant(name, shape, TensorType.INT32, bytesOf(Int32Array.from(values)));
  }

  float32(name: string, shape: number[], values: Float32Array): number {
    return this.constant(name, shape, TensorType.FLOAT32, bytesOf(values));
  }

  /**
   * A float constant stored as float16 and expanded by DEQUANTIZE, the same
   * pattern the MediaPipe models use for all their weights (half the size;
   * delegates fold it at load time). Only for values exact in float16.
   */
  float16(name: string, shape: number[], values: Float32Array): number {
    const half = this.constant(`${name}/fp16`, shape, TensorType.FLOAT16, toFloat16Bytes(values));
    const full = this.tensor(name, shape);
    this.op(BuiltinOp.DEQUANTIZE, [half], [full]);
    return full;
  }

  op(builtin: number, inputs: number[], outputs: number[], builtinOptions?: BuiltinOptions): void {
    const op: Operator = { opcodeIndex: this.opcode(builtin), inputs, outputs };
    if (builtinOptions) op.builtinOptions = builtinOptions;
    this.graph.operators.push(op);
  }

  /** Reuse the model's operator code for `builtin`, or register a new one (version 1). */
  private opcode(builtin: number): number {
    const codes = this.model.operatorCodes;
    const found = codes.findIndex((c) => opcodeOf(c) === builtin && c.customCode === undefined);
    if (found >= 0) return found;
    codes.push({ deprecatedBuiltinCode: builtin, version: 1, builtinCode: builtin });
    return codes.length - 1;
  }
}

/** Little-endian bytes of a typed array (TFLite buffers are little-endian, as is every JS host we run on). */
export function bytesOf(a: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}
