// IEEE 754 binary16 encoding for constant weights. Our refinement weights are
// 0, 1 and 1/16, which float16 represents exactly; toFloat16Bytes refuses
// anything it would have to round, so no silent precision loss can creep in.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bits of `v` as float16; throws unless `v` is exactly representable as a normal half or zero. */
export function float16Bits(v: number): number {
  f32[0] = v;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  if ((bits & 0x7fffffff) === 0) return sign;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0 || exponent >= 31 || (mantissa & 0x1fff) !== 0) {
    throw new Error(`float16: ${v} is not exactly representable`);
  }
  return sign | (exponent << 10) | (mantissa >>> 13);
}

export function toFloat16Bytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  // Weights are mostly zeros: skip them, the buffer is zero-initialised.
  values.forEach((v, i) => {
    if (v !== 0) view.setUint16(i * 2, float16Bits(v), true);
  });
  return out;
}
