// Minimal typed access to FlatBuffers tables on top of the `flatbuffers`
// runtime. We deliberately do not use generated code: the TFLite and metadata
// schemas are described by hand in tflite-*.ts / metadata.ts with the field ids
// of the public .fbs files.
import { Builder, ByteBuffer } from 'flatbuffers';

/** Field id -> vtable slot offset, as the FlatBuffers wire format defines it. */
const slot = (id: number): number => 4 + 2 * id;

/** Read-only view of one table inside a FlatBuffer. */
export class TableReader {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
    readonly typeName: string,
  ) {}

  static root(bytes: Uint8Array, typeName: string, identifier?: string): TableReader {
    if (bytes.length < 8) throw new Error(`${typeName}: buffer too small (${bytes.length} bytes)`);
    const bb = new ByteBuffer(bytes);
    if (identifier !== undefined && !bb.__has_identifier(identifier)) {
      throw new Error(`${typeName}: missing file identifier "${identifier}"`);
    }
    const pos = bb.readUint32(0);
    if (pos + 4 > bytes.length) throw new Error(`${typeName}: root offset out of range`);
    return new TableReader(bb, pos, typeName);
  }

  private off(id: number): number {
    return this.bb.__offset(this.pos, slot(id));
  }

  has(id: number): boolean {
    return this.off(id) !== 0;
  }

  /**
   * Throws if the table carries a field we do not model. Silently dropping an
   * unknown field would change the model, so we refuse instead.
   */
  assertOnlyFields(knownCount: number): void {
    const vtable = this.pos - this.bb.readInt32(this.pos);
    const fieldCount = (this.bb.readUint16(vtable) - 4) / 2;
    for (let id = knownCount; id < fieldCount; id++) {
      if (this.has(id)) throw new Error(`${this.typeName}: unsupported field id ${id} is present`);
    }
  }

  u8(id: number): number | undefined {
    const o = this.off(id);
    return o ? this.bb.readUint8(this.pos + o) : undefined;
  }
  i8(id: number): number | undefined {
    const o = this.off(id);
    return o ? this.bb.readInt8(this.pos + o) : undefined;
  }
  i32(id: number): number | undefined {
    const o = this.off(id);
    return o ? this.bb.readInt32(this.pos + o) : undefined;
  }
  u32(id: number): number | undefined {
    const o = this.off(id);
    return o ? this.bb.readUint32(this.pos + o) : undefined;
  }
  u64(id: number): bigint | undefined {
    const o = this.off(id);
    return o ? this.bb.readUint64(this.pos + o) : undefined;
  }
  f32(id: number): number | undefined {
    const o = this.off(id);
    return o ? this.bb.readFloat32(this.pos + o) : undefined;
  }
  bool(id: number): boolean | undefined {
    const v = this.u8(id);
    return v === undefined ? undefined : v !== 0;
  }

  str(id: number): string | undefined {
    const o = this.off(id);
    return o ? (this.bb.__string(this.pos + o) as string) : undefined;
  }

  table(id: number, typeName: string): TableReader | undefined {
    const o = this.off(id);
    return o ? new TableReader(this.bb, this.bb.__indirect(this.pos + o), typeName) : undefined;
  }

  tables(id: number, typeName: string): TableReader[] | undefined {
    const o = this.off(id);
    if (!o) return undefined;
    const start = this.bb.__vector(this.pos + o);
    const n = this.bb.__vector_len(this.pos + o);
    const out: TableReader[] = [];
    for (let i = 0; i < n; i++) {
      out.push(new TableReader(this.bb, this.bb.__indirect(start + 4 * i), typeName));
    }
    return out;
  }

  strings(id: number): string[] | undefined {
    const o = this.off(id);
    if (!o) return undefined;
    const start = this.bb.__vector(this.pos + o);
    const n = this.bb.__vector_len(this.pos + o);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.bb.__string(start + 4 * i) as string);
    return out;
  }

  /** Copy of a [ubyte]/[bool] vector. */
  bytes(id: number): Uint8Array | undefined {
    const o = this.off(id);
    if (!o) return undefined;
    const start = this.bb.__vector(this.pos + o);
    const n = this.bb.__vector_len(this.pos + o);
    return this.bb.bytes().slice(start, start + n);
  }

  i32s(id: number): number[] | undefined {
    return this.scalars(id, 4, (p) => this.bb.readInt32(p));
  }
  u32s(id: number): number[] | undefined {
    return this.scalars(id, 4, (p) => this.bb.readUint32(p));
  }
  f32s(id: number): number[] | undefined {
    return this.scalars(id, 4, (p) => this.bb.readFloat32(p));
  }
  i64s(id: number): bigint[] | undefined {
    return this.scalars(id, 8, (p) => this.bb.readInt64(p));
  }

  private scalars<T>(id: number, size: number, read: (p: number) => T): T[] | undefined {
    const o = this.off(id);
    if (!o) return undefined;
    const start = this.bb.__vector(this.pos + o);
    const n = this.bb.__vector_len(this.pos + o);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(read(start + size * i));
    return out;
  }
}

// ---------------------------------------------------------------------------
// Writing helpers. Vectors and strings must be created before the table that
// references them (FlatBuffers builds back to front), hence the split between
// "create*" (children) and the field adders used between startObject/endObject.

/** Offset of a created vector/string/table, or 0 when the value is absent. */
export type Ref = number;

export function createStr(b: Builder, s: string | undefined): Ref {
  return s === undefined ? 0 : b.createString(s);
}

export function createI32s(b: Builder, v: readonly number[] | undefined): Ref {
  if (v === undefined) return 0;
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]);
  return b.endVector();
}

export function createF32s(b: Builder, v: readonly number[] | undefined): Ref {
  if (v === undefined) return 0;
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]);
  return b.endVector();
}

export function createI64s(b: Builder, v: readonly bigint[] | undefined): Ref {
  if (v === undefined) return 0;
  b.startVector(8, v.length, 8);
  for (let i = v.length - 1; i >= 0; i--) b.addInt64(v[i]);
  return b.endVector();
}

export function createRefs(b: Builder, refs: readonly Ref[] | undefined): Ref {
  if (refs === undefined) return 0;
  b.startVector(4, refs.length, 4);
  for (let i = refs.length - 1; i >= 0; i--) b.addOffset(refs[i]);
  return b.endVector();
}

export function createStrs(b: Builder, v: readonly string[] | undefined): Ref {
  return v === undefined ? 0 : createRefs(b, v.map((s) => b.createString(s)));
}

/**
 * [ubyte] vector whose first byte is `align`-aligned in the final file.
 * TFLite declares Buffer.data with force_align: 16 so that runtimes can use
 * constant tensors in place; the builder aligns relative to the buffer end and
 * finish() pads the total size to the largest alignment used, so the start is
 * aligned too.
 */
export function createBytes(b: Builder, v: Uint8Array | undefined, align = 1): Ref {
  if (v === undefined) return 0;
  b.prep(align, v.length);
  return b.createByteVector(v);
}

/**
 * A builder that writes every scalar we hand it, even when it equals the
 * schema default: fields present in the source model stay present, absent
 * ones stay absent (the adders below skip `undefined`).
 */
export function newBuilder(initialSize: number): Builder {
  const b = new Builder(initialSize);
  b.forceDefaults(true);
  return b;
}

/** Field adders that only write a field when the value is present. */
export const add = {
  u8: (b: Builder, id: number, v: number | boolean | undefined) => {
    if (v !== undefined) b.addFieldInt8(id, Number(v), 0);
  },
  i8: (b: Builder, id: number, v: number | undefined) => {
    if (v !== undefined) b.addFieldInt8(id, v, 0);
  },
  i32: (b: Builder, id: number, v: number | undefined) => {
    if (v !== undefined) b.addFieldInt32(id, v, 0);
  },
  u64: (b: Builder, id: number, v: bigint | undefined) => {
    if (v !== undefined) b.addFieldInt64(id, v, BigInt(0));
  },
  f32: (b: Builder, id: number, v: number | undefined) => {
    if (v !== undefined) b.addFieldFloat32(id, v, 0);
  },
  ref: (b: Builder, id: number, r: Ref) => {
    if (r !== 0) b.addFieldOffset(id, r, 0);
  },
};
