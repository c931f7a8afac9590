// How the GPU buffers (and their staging arrays) that grow with the field, and the 1-D dispatches over it, are sized.

/** Smallest size of the GPU buffers and staging arrays that grow with the field. */
export const MIN_BUFFER_BYTES = 4096;

/** Size for `need` bytes: 4 KB doubled until it fits, so a buffer reused per frame is replaced only a few times. */
export function growSize(need: number): number {
  let size = MIN_BUFFER_BYTES;
  while (size < need) size *= 2;
  return size;
}

/** The CPU-side array a GPU buffer's records are written into before upload, grown like the buffer. */
export class Staging {
  buffer = new ArrayBuffer(MIN_BUFFER_BYTES);

  /** Room for `bytes`, keeping what was written so far. */
  reserve(bytes: number): ArrayBuffer {
    if (bytes > this.buffer.byteLength) {
      const grown = new ArrayBuffer(growSize(bytes));
      new Uint8Array(grown).set(new Uint8Array(this.buffer));
      this.buffer = grown;
    }
    return this.buffer;
  }
}

/** Most workgroups per dispatch dimension (WebGPU's default maxComputeWorkgroupsPerDimension). */
export const MAX_GROUPS = 65535;

/** A 1-D count of workgroups as a dispatch grid [x, y] with x ≤ 65535 and x · y ≥ groups (shaders flatten it back). */
export function dispatchGrid(groups: number): [number, number] {
  if (groups <= 0) return [0, 0];
  const gx = Math.min(groups, MAX_GROUPS);
  return [gx, Math.ceil(groups / gx)];
}
