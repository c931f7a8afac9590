import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField } from '../field/types.js';
import { sizeOf, type DecodedSource } from '../types.js';
import { isEmulatedDevice } from '../gpu/adapter.js';
import { toImageData } from '../image/decode.js';
import { TextureToBitmap } from '../gpu/bitmap.js';
import { encodeImageData, type EncodeOptions, type OutputKind, type OutputOf } from '../image/encode.js';
import { TextureReader } from '../gpu/readback.js';
import { TextureUploader } from '../gpu/upload.js';
import { isDeviceLost, requestGpuDevice, watchDevice } from '../gpu/device.js';
import { GpuWarper } from './gpu-warper.js';

/** Ends the current stage and names it (src/timings.ts's StageClock.lap, typed here so the warp floor imports nothing above it). */
export type Lap = (stage: 'warp' | 'readback' | 'encode') => void;

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
  /** A GPU emulated on the CPU (src/gpu/adapter.ts): uploads of opaque images go through their pixels. */
  private readonly emulated: boolean;
  private destroyed = false;

  private constructor(device: GPUDevice) {
    this.device = device;
    this.emulated = isEmulatedDevice(device);
    watchDevice(device);
    this.uploader = new TextureUploader(device, { label: 'face-reshape input' });
    this.warper = new GpuWarper(device, { label: 'face-reshape warp' });
    this.reader = new TextureReader(device, { label: 'face-reshape readback' });
    this.bitmaps = new TextureToBitmap(device, { label: 'face-reshape bitmap' });
  }

  /** A stack on a device of its own, warmed up (see warmUp). */
  static async create(): Promise<GpuStack> {
    const { device } = await requestGpuDevice({ label: 'face-reshape device' });
    const stack = new GpuStack(device);
    try {
      await stack.warmUp();
    } catch (e) {
      stack.destroy(true);
      throw e;
    }
    return stack;
  }

  /**
   * One tiny warp (32×32, a field built on the CPU) through upload, warp pass and readback, so
   * the GPU process compiles those pipelines now, while the detector loads, and not during the
   * first reshape(). The GPU field build's pipelines (real GPUs) still compile on first use.
   */
  async warmUp(): Promise<void> {
    const n = 5;
    const data = new Float32Array(n * n * 2);
    data[(2 * n + 2) * 2] = 0.5;
    const field: DisplacementField = { width: 32, height: 32, regions: [{ x0: 0, y0: 0, cell: 8, cols: n, rows: n, offset: 0, px0: 0, py0: 0, px1: 32, py1: 32 }], data };
    const out = this.warper.warp(this.uploader.upload(new ImageData(32, 32)), field);
    await this.reader.readImageData(out);
  }

  static fromDevice(device: GPUDevice): GpuStack {
    return new GpuStack(device);
  }

  get lost(): boolean {
    return isDeviceLost(this.device);
  }

  /**
   * Queues the source's copy into a GPU texture and returns it (owned by the uploader: valid until
   * the next upload of that size). Call it before detecting: the copy runs in the GPU process
   * while the detector runs here. Where the GPU is emulated (SwiftShader) copyExternalImageToTexture
   * of a 1080p bitmap took ~400 ms, reading its pixels through a 2D canvas and writeTexture
   * ~120 ms: an `opaque` source (JPEG bytes: the 2D canvas's premultiplied alpha loses nothing)
   * takes that way there.
   */
  upload(image: DecodedSource, opaque: boolean): GPUTexture {
    if (opaque && this.emulated && !(image instanceof ImageData)) {
      const { width, height } = sizeOf(image);
      return this.uploader.upload(toImageData(image, width, height));
    }
    return this.uploader.upload(image);
  }

  /**
   * Warps an uploaded texture by the field (built on the CPU, or planned and computed on the GPU)
   * and returns the output kind asked for. With `lap` the warp is waited for before the readback
   * is queued, so each stage's time is its own (reshape()'s `timings`).
   */
  async warp<K extends OutputKind>(src: GPUTexture, field: DisplacementField | FieldPlan, kind: K, opts: EncodeOptions, lap?: Lap): Promise<OutputOf<K>> {
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
