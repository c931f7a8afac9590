// Minimal ZIP writer/reader for the .task bundle. MediaPipe Tasks reads model
// files straight out of the archive, so entries are STORED (no compression).
// Timestamps are fixed and the entry order is the caller's, which makes the
// output byte-for-byte reproducible.

import { crc32 } from '../../src/image/header';

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/** Each entry's data starts at a multiple of this (TFLite buffers are 16-aligned within the file). */
const DATA_ALIGN = 16;
/** Extra-field id used for alignment padding (the one Android's zipalign uses). */
const ALIGN_EXTRA_ID = 0xd935;
/** DOS date 1980-01-01, time 00:00:00: the earliest ZIP can express. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const VERSION = 20; // 2.0: plain stored entries


class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u16(v: number): void {
    this.bytes(new Uint8Array([v & 0xff, (v >>> 8) & 0xff]));
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.bytes(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Fields shared by the local header and the central directory record. */
function writeCommon(w: ByteWriter, crc: number, size: number, nameLen: number, extraLen: number): void {
  w.u16(0); // flags
  w.u16(0); // method: stored
  w.u16(DOS_TIME);
  w.u16(DOS_DATE);
  w.u32(crc);
  w.u32(size); // compressed size
  w.u32(size); // uncompressed size
  w.u16(nameLen);
  w.u16(extraLen);
}

export function writeStoredZip(entries: readonly ZipEntry[]): Uint8Array {
  const w = new ByteWriter();
  const central = new ByteWriter();
  const encoder = new TextEncoder();
  for (const { name, data } of entries) {
    const nameBytes = encoder.encode(name);
    const crc = crc32(data);
    const offset = w.length;
    // Pad with an extra field so that the data start is aligned.
    const unpadded = offset + 30 + nameBytes.length + 4;
    const pad = (DATA_ALIGN - (unpadded % DATA_ALIGN)) % DATA_ALIGN;
    w.u32(0x04034b50);
    w.u16(VERSION);
    writeCommon(w, crc, data.length, nameBytes.length, 4 + pad);
    w.bytes(nameBytes);
    w.u16(ALIGN_EXTRA_ID);
    w.u16(pad);
    w.bytes(new Uint8Array(pad));
    w.bytes(data);

    central.u32(0x02014b50);
    central.u16(VERSION); // made by
    central.u16(VERSION); // needed to extract
    writeCommon(central, crc, data.length, nameBytes.length, 0);
    central.u16(0); // comment length
    central.u16(0); // disk number
    central.u16(0); // internal attributes
    central.u32(0); // external attributes
    central.u32(offset);
    central.bytes(nameBytes);
  }
  const centralOffset = w.length;
  w.bytes(central.concat());
  w.u32(0x06054b50);
  w.u16(0); // this disk
  w.u16(0); // disk with central directory
  w.u16(entries.length);
  w.u16(entries.length);
  w.u32(central.length);
  w.u32(centralOffset);
  w.u16(0); // comment length
  return w.concat();
}

export interface ZipEntryInfo extends ZipEntry {
  method: number;
  crc: number;
  dataOffset: number;
}

/** Read the entries of a ZIP through its central directory (used by tests and checks). */
export function readZip(zip: Uint8Array): ZipEntryInfo[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = zip.length - 22;
  while (eocd >= 0 && v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('zip: end of central directory not found');
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const decoder = new TextDecoder();
  const out: ZipEntryInfo[] = [];
  for (let i = 0; i < count; i++) {
    if (v.getUint32(p, true) !== 0x02014b50) throw new Error('zip: bad central directory record');
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    const size = v.getUint32(p + 20, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const name = decoder.decode(zip.subarray(p + 46, p + 46 + nameLen));
    const dataOffset = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    out.push({ name, method, crc, dataOffset, data: zip.subarray(dataOffset, dataOffset + size) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
