// Codecs for the TFLite BuiltinOptions union members that occur in the two
// MediaPipe models we rewrite (plus the ones our refinement graph adds).
// Each options table is described by its fields in schema.fbs order; field ids
// are the positions. Union indices are the positions in `union BuiltinOptions`
// (1-based, 0 = NONE). An options type outside this list makes the reader
// throw rather than silently drop it.
import type { Builder } from 'flatbuffers';
import { TableReader, add, createI32s, type Ref } from './flatbuffer-table';

type Kind = 'i8' | 'bool' | 'i32' | 'f32' | 'i32[]';
type Value = number | boolean | number[] | undefined;

interface OptionsCodec {
  name: string;
  fields: readonly Kind[];
}

// ActivationFunctionType / Padding are byte enums, hence 'i8'.
export const OPTIONS: Readonly<Record<number, OptionsCodec>> = {
  // Conv2DOptions: padding, stride_w, stride_h, fused_activation_function,
  // dilation_w_factor, dilation_h_factor
  1: { name: 'Conv2DOptions', fields: ['i8', 'i32', 'i32', 'i8', 'i32', 'i32'] },
  // DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier,
  // fused_activation_function, dilation_w_factor, dilation_h_factor
  2: { name: 'DepthwiseConv2DOptions', fields: ['i8', 'i32', 'i32', 'i32', 'i8', 'i32', 'i32'] },
  // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height,
  // fused_activation_function
  5: { name: 'Pool2DOptions', fields: ['i8', 'i32', 'i32', 'i32', 'i32', 'i8'] },
  // FullyConnectedOptions: fused_activation_function, weights_format,
  // keep_num_dims, asymmetric_quantize_inputs, quantized_bias_type
  8: { name: 'FullyConnectedOptions', fields: ['i8', 'i8', 'bool', 'bool', 'i8'] },
  // ConcatenationOptions: axis, fused_activation_function
  10: { name: 'ConcatenationOptions', fields: ['i32', 'i8'] },
  // AddOptions: fused_activation_function, pot_scale_int16
  11: { name: 'AddOptions', fields: ['i8', 'bool'] },
  // ResizeBilinearOptions: new_height (deprecated), new_width (deprecated),
  // align_corners, half_pixel_centers
  15: { name: 'ResizeBilinearOptions', fields: ['i32', 'i32', 'bool', 'bool'] },
  // ReshapeOptions: new_shape
  17: { name: 'ReshapeOptions', fields: ['i32[]'] },
  // MulOptions: fused_activation_function
  21: { name: 'MulOptions', fields: ['i8'] },
  // PadOptions: (no fields)
  22: { name: 'PadOptions', fields: [] },
  // StridedSliceOptions: begin_mask, end_mask, ellipsis_mask, new_axis_mask,
  // shrink_axis_mask, offset
  32: { name: 'StridedSliceOptions', fields: ['i32', 'i32', 'i32', 'i32', 'i32', 'bool'] },
  // DequantizeOptions: (no fields)
  38: { name: 'DequantizeOptions', fields: [] },
  // MaximumMinimumOptions: (no fields)
  39: { name: 'MaximumMinimumOptions', fields: [] },
};

export const OPTIONS_TYPE = {
  FullyConnectedOptions: 8,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  MaximumMinimumOptions: 39,
} as const;

/** A decoded options table: union index plus field values by field id. */
export interface BuiltinOptions {
  type: number;
  values: Value[];
}

function codecFor(type: number): OptionsCodec {
  const codec = OPTIONS[type];
  if (!codec) throw new Error(`BuiltinOptions: union member ${type} is not supported by this tool`);
  return codec;
}

export function readOptions(type: number, t: TableReader): BuiltinOptions {
  const codec = codecFor(type);
  t.assertOnlyFields(codec.fields.length);
  const values = codec.fields.map((kind, id): Value => {
    switch (kind) {
      case 'i8':
        return t.i8(id);
      case 'bool':
        return t.bool(id);
      case 'i32':
        return t.i32(id);
      case 'f32':
        return t.f32(id);
      case 'i32[]':
        return t.i32s(id);
    }
  });
  return { type, values };
}

export function writeOptions(b: Builder, o: BuiltinOptions): Ref {
  const codec = codecFor(o.type);
  // Vectors first: they cannot be created while the table is open.
  const refs = codec.fields.map((kind, id) =>
    kind === 'i32[]' ? createI32s(b, o.values[id] as number[] | undefined) : 0,
  );
  b.startObject(codec.fields.length);
  codec.fields.forEach((kind, id) => {
    const v = o.values[id];
    if (kind === 'i32[]') add.ref(b, id, refs[id]);
    else if (kind === 'i32') add.i32(b, id, v as number | undefined);
    else if (kind === 'f32') add.f32(b, id, v as number | undefined);
    else add.u8(b, id, v as number | boolean | undefined);
  });
  return b.endObject();
}
