import { FaceReshapeError } from '../errors.js';
import { assertDeviceAlive, isDeviceLost, watchDevice } from './device.js';
import { GrowableBuffer } from './growable-buffer.js';

const READABLE = new Set<GPUTextureFormat>(['rgba8unorm', 'rgba8unorm-srgb', 'bgra8unorm', 'bgra8unorm-srgb']);

/**
 * Reads 8-bit RGBA/BGRA textures back into ImageData (straight alpha, RGBA order) through one
 * reused, grow-only MAP_READ buffer. copyTextureToBuffer needs rows padded to 256 bytes; the
 * padding is stripped here. Reads are serialised, since they share the buffer.
 * The texture needs COPY_SRC usage.
 */
export class TextureReader {
  readonly device: GPUDevice;
  private readonly label: string;
  /** Made on the first read: a reshaper that only ever hands out ImageBitmaps never needs one. */
  private staging: GrowableBuffer | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private destroyed = false;

  constructor(device: GPUDevice, options: { label?: string } = {}) {
    this.device = device;
    this.label = options.label ?? 'face-reshape readback';
    watchDevice(device);
  }

  /** Copies `texture` (all of it) into a new ImageData. */
  readImageData(texture: GPUTexture): Promise<ImageData> {
    const run = this.queue.then(() => this.read(texture));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Frees the staging buffer. Idempotent; a read in flight rejects with CLOSED. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.staging?.destroy();
    this.staging = null;
  }

  private async read(texture: GPUTexture): Promise<ImageData> {
    if (this.destroyed) throw new FaceReshapeError('CLOSED', 'TextureReader used after destroy().');
    assertDeviceAlive(this.device, 'the readback');
    if (!READABLE.has(texture.format)) {
      throw new FaceReshapeError('INVALID_ARGUMENT', `Cannot read back a ${texture.format} texture; expected rgba8unorm or bgra8unorm.`);
    }
    const { width, height } = texture;
    const rowBytes = width * 4;
    const paddedRow = Math.ceil(rowBytes / 256) * 256;
    const need = paddedRow * height;
    this.staging ??= new GrowableBuffer(this.device, `${this.label} staging`, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 1 << 16);
    const buffer = this.staging.ensure(need);
    const encoder = this.device.createCommandEncoder({ label: `${this.label} encoder` });
    encoder.copyTextureToBuffer({ texture }, { buffer, bytesPerRow: paddedRow, rowsPerImage: height }, { width, height });
    this.device.queue.submit([encoder.finish()]);
    try {
      await buffer.mapAsync(GPUMapMode.READ, 0, need);
    } catch (cause) {
      if (this.destroyed) throw new FaceReshapeError('CLOSED', 'TextureReader was destroyed during a readback.', { cause });
      if (isDeviceLost(this.device)) throw new FaceReshapeError('DEVICE_LOST', 'The GPU device was lost during a readback.', { cause });
      throw new FaceReshapeError('INTERNAL', `Readback failed: ${(cause as Error)?.message ?? cause}`, { cause });
    }
    const pixels = new Uint8ClampedArray(rowBytes * height);
    try {
      const mapped = new Uint8Array(buffer.getMappedRange(0, need));
      if (paddedRow === rowBytes) {
        pixels.set(mapped.subarray(0, rowBytes * height));
      } else {
        for (let y = 0; y < height; y++) pixels.set(mapped.subarray(y * paddedRow, y * paddedRow + rowBytes), y * rowBytes);
      }
    } finally {
      buffer.unmap();
    }
    if (texture.format.startsWith('bgra')) {
      for (let i = 0; i < pixels.length; i += 4) {
        const b = pixels[i];
        pixels[i] = pixels[i + 2];
        pixels[i + 2] = b;
      }
    }
    return new ImageData(pixels, width, height);
  }
}
