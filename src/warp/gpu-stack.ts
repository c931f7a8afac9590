import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField } from '../field/types.js';
import type { DecodedSource } from '../types.js';
import { TextureToBitmap } from '../gpu/bitmap.js';
import { encodeImageData, type EncodeOptions, type OutputKind, type OutputOf } from '../image/encode.js';
import { TextureReader } from '../gpu/readback.js';
import { TextureUploader } from '../gpu/upload.js';
import { isDeviceLost, requestGpuDevice, watchDevice } from '../gpu/device.js';
import { GpuWarper } from './gpu-warper.js';

/**
 * The GPU half of a reshaper: upload → warp → output, on one device. Owns the uploader, warper,
 * reader and bitmap converter (each created once and reused); owns the device only when asked to.
 */
export class GpuStack {
  readonly device: GPUDevice;
  private readonly uploader: TextureUploader;
  private readonly warper: GpuWarper;
  private readonly reader: TextureReader;
  private readonly bitmaps: TextureToBitmap;
  private destroyed = false;

  private constructor(device: GPUDevice) {
    this.device = device;
    watchDevice(device);
    this.uploader = new TextureUploader(device, { label: 'face-reshape input' });
    this.warper = new GpuWarper(device, { label: 'face-reshape warp' });
    this.reader = new TextureReader(device, { label: 'face-reshape readback' });
    this.bitmaps = new TextureToBitmap(device, { label: 'face-reshape bitmap' });
  }

  static async create(): Promise<GpuStack> {
    const { device } = await requestGpuDevice({ label: 'face-reshape device' });
    return new GpuStack(device);
  }

  static fromDevice(device: GPUDevice): GpuStack {
    return new GpuStack(device);
  }

  get lost(): boolean {
    return isDeviceLost(this.device);
  }

  /** Uploads the source, warps it by the field (built on the CPU, or planned and computed on the GPU) and returns the output kind asked for. */
  async warp<K extends OutputKind>(image: DecodedSource, field: DisplacementField | FieldPlan, kind: K, opts: EncodeOptions): Promise<OutputOf<K>> {
    const out = this.warpToTexture(image, field);
    if (kind === 'imageBitmap') return (await this.bitmaps.toImageBitmap(out)) as OutputOf<K>;
    return encodeImageData(await this.reader.readImageData(out), kind, opts);
  }

  /** The warped texture, owned by the warper: valid until the warp after next. */
  warpToTexture(image: DecodedSource, field: DisplacementField | FieldPlan): GPUTexture {
    return this.warper.warp(this.uploader.upload(image), field);
  }

  /** Frees everything this stack made, and the device when `withDevice`. Idempotent. */
  destroy(withDevice: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.bitmaps.destroy();
    this.reader.destroy();
    this.warper.destroy();
    this.uploader.destroy();
    if (withDevice) this.device.destroy();
  }
}
