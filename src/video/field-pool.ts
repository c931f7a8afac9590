import { FieldScratch } from '../field/scratch.js';

/**
 * A FieldScratch for the detect worker: each built field gets an array of its own, since it is
 * transferred (not copied) to the render worker, which sends the buffer back after the warp.
 * With at most one frame detecting and one rendering, two or three buffers go round.
 */
export class FieldBufferPool extends FieldScratch {
  private readonly free: ArrayBuffer[] = [];

  override float32(n: number): Float32Array {
    const bytes = n * 4;
    const k = this.free.findIndex((b) => b.byteLength >= bytes);
    const buffer = k >= 0 ? this.free.splice(k, 1)[0] : new ArrayBuffer(Math.ceil(n * 1.5) * 4);
    const view = new Float32Array(buffer, 0, n);
    view.fill(0);
    return view;
  }

  /** A buffer back from the render worker; a full pool keeps the larger buffers (fields grow with the face). */
  giveBack(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return;
    if (this.free.length < 4) {
      this.free.push(buffer);
      return;
    }
    let smallest = 0;
    for (let k = 1; k < this.free.length; k++) if (this.free[k].byteLength < this.free[smallest].byteLength) smallest = k;
    if (this.free[smallest].byteLength < buffer.byteLength) this.free[smallest] = buffer;
  }
}
