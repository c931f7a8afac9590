import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField } from '../field/types.js';
import type { DecodedSource } from '../types.js';
import { TextureToBitmap } from '../gpu/bitmap.js';
import { encodeImageData, type EncodeOptions, type OutputKind, type OutputOf } from '../image/encode.js';
import { TextureReader } from '../gpu/readback.js';
import { TextureUploader } from '../gpu/upload.js';
import { isDeviceLost, requestGpuDevice, watchDevice } from '../gpu/device.js';
import { GpuWarper } from './gpu-warper.js';

/** Ends the current stage and names it (src/timings.ts's StageClock.lap, typed here so the warp floor imports nothing above it). */
export type Lap = (stage: 'upload' | 'warp' | 'readback' | 'encode') => void;

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

  /**
   * Uploads the source, warps it by the field (built on the CPU, or planned and computed on the GPU)
   * and returns the output kind asked for. With `lap` each GPU stage is waited for before the next
   * is queued, so its time is its own (reshape()'s `timings`); without, nothing waits in between.
   */
  async warp<K extends OutputKind>(image: DecodedSource, field: DisplacementField | FieldPlan, kind: K, opts: EncodeOptions, lap?: Lap): Promise<OutputOf<K>> {
    const src = this.uploader.upload(image);
    if (lap) {
      await this.device.queue.onSubmittedWorkDone();
      lap('upload');
    }
    const out = this.warper.warp(src, field);
    if (lap) {
      await this.device.queue.onSubmittedWorkDone();
      lap('warp');
    }
    if (kind === 'imageBitmap') {
      const bitmap = await this.bitmaps.toImageBitmap(out, lap);
      lap?.('encode');
      return bitmap as OutputOf<K>;
    }
    const data = await this.reader.readImageData(out);
    lap?.('readback');
    const result = await encodeImageData(data, kind, opts);
    lap?.('encode');
    return result;
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
