import { FaceReshapeError } from '../errors.js';
import { assertDeviceAlive, watchDevice } from './device.js';
import { TextureReader } from './readback.js';

/**
 * Turns an 8-bit RGBA texture into an ImageBitmap.
 *
 * Default path: ImageData (readback through TextureReader), then createImageBitmap; exact for
 * any alpha. Opt-in fast path for opaque images (`{ opaque: true, viaCanvas: true }`): an
 * OffscreenCanvas whose 'webgpu' context is configured on the device (alphaMode 'opaque'); the
 * texture is copied into the canvas texture and the canvas transferred to an ImageBitmap, with
 * no CPU round trip. It is opt-in because headless Chromium on SwiftShader loses the device on
 * that path (measured: "A valid external Instance reference no longer exists"), and because a
 * WebGPU canvas expects premultiplied alpha while our textures hold straight alpha.
 * The canvas and the reader are created once and owned here.
 */
export class TextureToBitmap {
  readonly device: GPUDevice;
  private readonly label: string;
  private canvas: OffscreenCanvas | null = null;
  private context: GPUCanvasContext | null = null;
  private reader: TextureReader | null = null;
  private destroyed = false;

  constructor(device: GPUDevice, options: { label?: string } = {}) {
    this.device = device;
    this.label = options.label ?? 'face-reshape bitmap';
    watchDevice(device);
  }

  /** `opaque: true` promises every alpha is 1 (photos, camera frames); with `viaCanvas: true` it enables the canvas path. */
  async toImageBitmap(texture: GPUTexture, options: { opaque?: boolean; viaCanvas?: boolean } = {}): Promise<ImageBitmap> {
    if (this.destroyed) throw new FaceReshapeError('CLOSED', 'TextureToBitmap used after destroy().');
    assertDeviceAlive(this.device, 'the bitmap conversion');
    const canvasPath =
      options.opaque === true && options.viaCanvas === true && typeof OffscreenCanvas === 'function' && (texture.format === 'rgba8unorm' || texture.format === 'bgra8unorm');
    if (!canvasPath) {
      this.reader ??= new TextureReader(this.device, { label: `${this.label} readback` });
      const data = await this.reader.readImageData(texture);
      return createImageBitmap(data, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    }
    const context = this.contextFor(texture);
    const encoder = this.device.createCommandEncoder({ label: `${this.label} encoder` });
    encoder.copyTextureToTexture({ texture }, { texture: context.getCurrentTexture() }, { width: texture.width, height: texture.height });
    this.device.queue.submit([encoder.finish()]);
    return this.canvas!.transferToImageBitmap();
  }

  /** Unconfigures the canvas and frees the reader. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.context?.unconfigure();
    this.context = null;
    this.canvas = null;
    this.reader?.destroy();
    this.reader = null;
  }

  private contextFor(texture: GPUTexture): GPUCanvasContext {
    if (!this.canvas) this.canvas = new OffscreenCanvas(texture.width, texture.height);
    if (this.canvas.width !== texture.width) this.canvas.width = texture.width;
    if (this.canvas.height !== texture.height) this.canvas.height = texture.height;
    if (!this.context || this.contextFormat !== texture.format) {
      const context = this.canvas.getContext('webgpu');
      if (!context) throw new FaceReshapeError('WEBGPU_UNAVAILABLE', 'OffscreenCanvas.getContext("webgpu") returned null.');
      context.configure({ device: this.device, format: texture.format, usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT, alphaMode: 'opaque' });
      this.context = context;
      this.contextFormat = texture.format;
    }
    return this.context;
  }

  private contextFormat: GPUTextureFormat | null = null;
}
