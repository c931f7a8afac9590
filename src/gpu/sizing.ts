// How the GPU buffers that grow with the field, and the 1-D dispatches over it, are sized.

/** Smallest size of the GPU buffers and staging arrays that grow with the field. */
export const MIN_BUFFER_BYTES = 4096;

/** Size for `need` bytes: 4 KB doubled until it fits, so a buffer reused per frame is replaced only a few times. */
export function growSize(need: number): number {
  let size = MIN_BUFFER_BYTES;
  while (size < need) size *= 2;
  return size;
}

/**
 * `buffer` when it holds `bytes`, else a replacement of growSize(bytes) made by `create` (the old
 * one destroyed). Callers compare the result with `buffer` to know their bind groups are stale.
 */
export function ensureBuffer(buffer: GPUBuffer, bytes: number, create: (size: number) => GPUBuffer): GPUBuffer {
  if (bytes <= buffer.size) return buffer;
  buffer.destroy();
  return create(growSize(bytes));
}

/** Most workgroups per dispatch dimension (WebGPU's default maxComputeWorkgroupsPerDimension). */
export const MAX_GROUPS = 65535;

/** A 1-D count of workgroups as a dispatch grid [x, y] with x ≤ 65535 and x · y ≥ groups (shaders flatten it back). */
export function dispatchGrid(groups: number): [number, number] {
  if (groups <= 0) return [0, 0];
  const gx = Math.min(groups, MAX_GROUPS);
  return [gx, Math.ceil(groups / gx)];
}
