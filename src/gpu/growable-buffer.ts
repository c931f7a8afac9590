import { growSize } from './sizing.js';

/**
 * One GPU buffer for data whose size changes call to call (a field, its regions, a tile list, a
 * readback): replaced by a larger one (4 KB doubled until it fits) only when it is too small, so a
 * buffer reused every frame is replaced a few times at most. `version` counts the replacements:
 * a bind group made with an older version is stale.
 */
export class GrowableBuffer {
  private current: GPUBuffer;
  version = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly usage: GPUBufferUsageFlags,
    minBytes?: number,
  ) {
    this.current = this.create(growSize(minBytes ?? 0));
  }

  get buffer(): GPUBuffer {
    return this.current;
  }

  /** The buffer, replaced first when it holds fewer than `bytes` (its old contents are dropped). */
  ensure(bytes: number): GPUBuffer {
    if (bytes > this.current.size) {
      this.current.destroy();
      this.current = this.create(growSize(bytes));
      this.version++;
    }
    return this.current;
  }

  /** Writes `bytes` of `data` from `offset` at the buffer's start, growing it first when needed. */
  write(data: ArrayBufferLike, bytes: number, offset = 0): GPUBuffer {
    const buffer = this.ensure(bytes);
    if (bytes > 0) this.device.queue.writeBuffer(buffer, 0, data, offset, bytes);
    return buffer;
  }

  destroy(): void {
    this.current.destroy();
  }

  private create(size: number): GPUBuffer {
    return this.device.createBuffer({ label: `${this.label} buffer`, size, usage: this.usage });
  }
}
