/**
 * GPU timestamps around one submission's work, for the bench (contract section 7: "where a real
 * GPU is available, report timestamp-query figures too"). A device with the 'timestamp-query'
 * feature writes query `begin` before the work and `end` after it; each is an empty compute pass
 * carrying the write, so the copies between passes are inside the measured span too.
 */
export interface GpuTiming {
  querySet: GPUQuerySet;
  begin: number;
  end: number;
}

/** Encodes the timestamp write `which` of `timing` (no-op without one). */
export function stamp(encoder: GPUCommandEncoder, timing: GpuTiming | undefined, which: 'begin' | 'end'): void {
  if (!timing) return;
  const index = which === 'begin' ? timing.begin : timing.end;
  const pass = encoder.beginComputePass({
    label: `timestamp ${which}`,
    timestampWrites: which === 'begin' ? { querySet: timing.querySet, beginningOfPassWriteIndex: index } : { querySet: timing.querySet, endOfPassWriteIndex: index },
  });
  pass.end();
}

/**
 * A pool of begin/end pairs on one query set: `next()` hands out the next pair, `read()`
 * resolves every pair handed out since the last read and returns their durations in ms.
 * Owns its query set and buffers; destroy() is idempotent.
 */
export class GpuTimer {
  private readonly device: GPUDevice;
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly readback: GPUBuffer;
  private used = 0;
  private destroyed = false;

  constructor(device: GPUDevice, pairs = 64) {
    this.device = device;
    this.querySet = device.createQuerySet({ label: 'bench timestamps', type: 'timestamp', count: pairs * 2 });
    this.resolve = device.createBuffer({ label: 'bench timestamps resolve', size: pairs * 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readback = device.createBuffer({ label: 'bench timestamps readback', size: pairs * 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  }

  static supported(device: GPUDevice): boolean {
    return device.features.has('timestamp-query');
  }

  next(): GpuTiming {
    if (this.used * 2 >= this.querySet.count) throw new RangeError('GpuTimer: out of query pairs; call read() first.');
    const begin = this.used * 2;
    this.used++;
    return { querySet: this.querySet, begin, end: begin + 1 };
  }

  /**
   * Durations (ms) of the pairs handed out since the last read, in order. A pair whose work was
   * never submitted reads as 0 (and a device whose clock steps back gives 0, not a negative).
   */
  async read(): Promise<number[]> {
    const n = this.used;
    this.used = 0;
    if (n === 0) return [];
    const encoder = this.device.createCommandEncoder({ label: 'bench timestamps resolve' });
    encoder.resolveQuerySet(this.querySet, 0, n * 2, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, this.readback, 0, n * 16);
    this.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ, 0, n * 16);
    const t = new BigUint64Array(this.readback.getMappedRange(0, n * 16).slice(0));
    this.readback.unmap();
    return Array.from({ length: n }, (_, k) => (t[2 * k + 1] > t[2 * k] ? Number(t[2 * k + 1] - t[2 * k]) / 1e6 : 0));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.querySet.destroy();
    this.resolve.destroy();
    this.readback.destroy();
  }
}
