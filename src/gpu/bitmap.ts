import { FaceReshapeError } from '../errors.js';
import { assertDeviceAlive, watchDevice } from './device.js';
import { TextureReader } from './readback.js';

/**
 * Turns an 8-bit RGBA texture into an ImageBitmap: ImageData by readback, then createImageBitmap,
 * exact for any alpha. (Presenting through a 'webgpu' OffscreenCanvas would skip the readback,
 * but a WebGPU canvas expects premultiplied alpha while these textures hold straight alpha, and
 * SwiftShader loses the device on that path.) The reader is created on first use and owned here.
 */
export class TextureToBitmap {
  readonly device: GPUDevice;
  private readonly label: string;
  private reader: TextureReader | null = null;
  private destroyed = false;

  constructor(device: GPUDevice, options: { label?: string } = {}) {
    this.device = device;
    this.label = options.label ?? 'face-reshape bitmap';
    watchDevice(device);
  }

  /** `lap('readback')` is called once the pixels are back, where a caller times the stages. */
  async toImageBitmap(texture: GPUTexture, lap?: (stage: 'readback') => void): Promise<ImageBitmap> {
    if (this.destroyed) throw new FaceReshapeError('CLOSED', 'TextureToBitmap used after destroy().');
    assertDeviceAlive(this.device, 'the bitmap conversion');
    this.reader ??= new TextureReader(this.device, { label: `${this.label} readback` });
    const data = await this.reader.readImageData(texture);
    lap?.('readback');
    return createImageBitmap(data, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  }

  /** Frees the reader. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.reader?.destroy();
    this.reader = null;
  }
}
