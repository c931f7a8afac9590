import { normalizeEdits, type EditRequest } from './shapes/edits.js';
import { FaceReshapeError } from './errors.js';
import { buildField } from './field/build.js';
import { planField, type FieldPlan } from './field/plan.js';
import { fieldOnGpu, type FieldBuild } from './field/gpu-build.js';
import type { DisplacementField } from './field/types.js';
import { decodeSource, toImageData, type Decoded, type ReshapeSource } from './image/decode.js';
import { LandmarkDetector, type LandmarkDetectorOptions } from './landmarks/detector.js';
import { encodeImageData, type EncodeOptions, type OutputKind, type OutputOf } from './image/encode.js';
import { StageClock, type Lap, type ReshapeTimings } from './timings.js';
import { GpuStack } from './warp/gpu-stack.js';
import { warpCpu } from './warp/cpu.js';
import type { Backend, DecodedSource, Face } from './types.js';



export interface FaceReshaperOptions extends Omit<LandmarkDetectorOptions, 'runningMode'> {
  /** 'auto' (default): WebGPU where available, else the CPU reference warp (with a console warning). */
  backend?: 'auto' | Backend;
  /**
   * On the WebGPU backend, where the displacement field is computed: 'gpu' (compute passes in the
   * warp's own submission; only the edit primitives are uploaded), 'cpu' (built in JavaScript and
   * uploaded), or 'auto' (default): 'gpu', except on a fallback (CPU-emulated) adapter such as
   * SwiftShader, where 'cpu' is faster. Both give the same field (to 0.01 px) and image.
   */
  fieldBuild?: FieldBuild;
}

export type ReshapeOptions<K extends OutputKind = 'imageData'> = EditRequest & {
  /** What `image` is: 'imageData' (default), 'imageBitmap', 'canvas' (OffscreenCanvas), 'blob' (encoded; see blobType). */
  output?: K;
  /**
   * The Blob's type with output 'blob'. Default: follows the input, JPEG for JPEG bytes (a photo
   * stays a photo-sized file) and PNG for everything else (lossless: PNG, BMP, WebP, GIF bytes,
   * and decoded sources such as an ImageBitmap or a canvas).
   */
  blobType?: 'image/png' | 'image/jpeg';
  /** JPEG quality in [0, 1], default 0.92. */
  quality?: number;
  /** Faces from an earlier detect() of this same image: skips detection. */
  faces?: Face[];
  /**
   * Fill the result's `timings` (ms per stage). On the WebGPU backend each GPU stage is then waited
   * for before the next one is queued, which costs a little (one wait per stage).
   */
  timings?: boolean;
};

export interface ReshapeResult<T> {
  image: T;
  width: number;
  height: number;
  /** Every face found (up to maxFaces), each reshaped by its own part of the field. */
  faces: Face[];
  backend: Backend;
  /** Where the call's time went, stage by stage; only when `timings: true` was asked. */
  timings?: ReshapeTimings;
}

/**
 * The native API. Owns a landmark detector (wasm), and on the WebGPU backend a device (unless one
 * was given), pipelines and textures; `close()` frees them all.
 *
 * Calls are serialised: each reshape() runs alone, so reused GPU textures and the wasm detector
 * are never shared by two calls in flight.
 */
export class FaceReshaper {
  readonly backend: Backend;
  private detector: LandmarkDetector | null;
  private gpu: GpuStack | null;
  private readonly ownsDevice: boolean;
  private readonly fieldBuild: FieldBuild;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(detector: LandmarkDetector, gpu: GpuStack | null, ownsDevice: boolean, fieldBuild: FieldBuild) {
    this.detector = detector;
    this.gpu = gpu;
    this.ownsDevice = ownsDevice;
    this.fieldBuild = fieldBuild;
    this.backend = gpu ? 'webgpu' : 'cpu';
  }

  /** Creates a reshaper that owns its GPU device (or uses the CPU warp, per `backend`). */
  static async create(options: FaceReshaperOptions = {}): Promise<FaceReshaper> {
    const backend = options.backend ?? 'auto';
    const gpu =
      backend === 'cpu'
        ? Promise.resolve(null)
        : GpuStack.create().catch((e: unknown) => {
            if (backend === 'webgpu' || !(e instanceof FaceReshapeError) || e.code !== 'WEBGPU_UNAVAILABLE') throw e;
            console.warn(`webgpu-face-reshape: ${e.message} Falling back to the CPU warp.`);
            return null;
          });
    return FaceReshaper.finish(options, gpu, true);
  }

  /** Creates a reshaper on the app's own GPUDevice (shared with its renderer). The device stays the app's. */
  static async createWithDevice(device: GPUDevice, options: Omit<FaceReshaperOptions, 'backend'> = {}): Promise<FaceReshaper> {
    const gpu = GpuStack.fromDevice(device);
    return FaceReshaper.finish(options, gpu.warmUp().then(() => gpu, (e: unknown) => (gpu.destroy(false), Promise.reject(e))), false);
  }

  /**
   * The GPU stack (device, pipelines compiled by a warm-up warp) and the detector (wasm, model)
   * load at the same time: neither waits for the other. If either fails, the other is freed.
   */
  private static async finish(options: FaceReshaperOptions, gpu: Promise<GpuStack | null>, ownsDevice: boolean): Promise<FaceReshaper> {
    const detector = LandmarkDetector.create({ ...options, runningMode: 'IMAGE' });
    const [g, d] = await Promise.allSettled([gpu, detector]);
    if (g.status === 'fulfilled' && d.status === 'fulfilled') return new FaceReshaper(d.value, g.value, ownsDevice, options.fieldBuild ?? 'auto');
    if (g.status === 'fulfilled') g.value?.destroy(ownsDevice);
    if (d.status === 'fulfilled') d.value.close();
    // The GPU's failure first, as when the two loaded one after the other.
    throw g.status === 'rejected' ? g.reason : (d as PromiseRejectedResult).reason;
  }

  /** Landmarks, boxes and head pose of every face (up to maxFaces), in pixels of the upright image. */
  detect(source: ReshapeSource): Promise<Face[]> {
    return this.serial(async () => {
      const decoded = await decodeSource(source, this.decodeOptions());
      try {
        return await this.open().detector.detect(decoded.image);
      } finally {
        if (decoded.owned) (decoded.image as ImageBitmap).close();
      }
    });
  }

  /**
   * Reshapes every face found with one or several edits, as ONE warp (one displacement field,
   * one resample). Strength is signed: [-1, 1]. No face → the image comes back unchanged with `faces: []`.
   */
  reshape<K extends OutputKind = 'imageData'>(source: ReshapeSource, options: ReshapeOptions<K>): Promise<ReshapeResult<OutputOf<K>>> {
    return this.serial(async () => {
      const clock = options.timings ? new StageClock() : null;
      const lap = clock?.lap;
      const edits = normalizeEdits(options);
      const { detector } = this.open();
      const quality = options.quality;
      if (quality !== undefined && !(typeof quality === 'number' && quality >= 0 && quality <= 1)) {
        throw new FaceReshapeError('OUT_OF_RANGE', `quality must be a number in [0, 1] (JPEG quality), got ${String(quality)}.`);
      }
      const decoded = await decodeSource(source, this.decodeOptions());
      lap?.('decode');
      try {
        const { width, height } = decoded;
        // Queued before detection, so the GPU process copies while the detector runs (JPEG is opaque).
        const uploaded = this.gpu && !this.gpu.lost ? { gpu: this.gpu, texture: this.gpu.upload(decoded.image, decoded.format === 'jpeg') } : null;
        lap?.('upload');
        const faces = options.faces ?? (await detector.detect(decoded.image));
        lap?.('detect');
        const items = faces.length && edits.length ? faces.map((face) => ({ face, edits })) : [];
        // On the GPU the field's values may be computed there (src/field/gpu-build.ts): only its plan is made here.
        const field = this.gpu && fieldOnGpu(this.gpu.device, this.fieldBuild) ? planField(width, height, items) : buildField(width, height, items);
        lap?.('field');
        const encode: EncodeOptions = { blobType: options.blobType ?? (decoded.format === 'jpeg' ? 'image/jpeg' : 'image/png'), quality };
        const image = await this.warp(decoded, field, (options.output ?? 'imageData') as K, encode, uploaded, lap);
        return { image, width, height, faces, backend: this.backend, ...(clock ? { timings: clock.result() } : {}) };
      } finally {
        if (decoded.owned) (decoded.image as ImageBitmap).close();
      }
    });
  }

  /** Frees the detector and every GPU resource (and the device, if the reshaper created it). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detector?.close();
    this.detector = null;
    this.gpu?.destroy(this.ownsDevice);
    this.gpu = null;
  }

  private async warp<K extends OutputKind>(
    decoded: Decoded,
    field: DisplacementField | FieldPlan,
    kind: K,
    encode: EncodeOptions,
    uploaded: { gpu: GpuStack; texture: GPUTexture } | null,
    lap?: Lap,
  ): Promise<OutputOf<K>> {
    if (this.gpu) {
      const opaque = decoded.format === 'jpeg';
      try {
        const gpu = await this.liveGpu();
        // Uploaded to a device lost since (and replaced): upload again.
        const texture = uploaded && uploaded.gpu === gpu ? uploaded.texture : gpu.upload(decoded.image, opaque);
        return await gpu.warp(texture, field, kind, encode, lap);
      } catch (e) {
        // Lost during this very call (a GPU-process crash, a driver reset): our own device is
        // replaced and the warp runs once more; the app's device is the app's to replace.
        if (!(e instanceof FaceReshapeError) || e.code !== 'DEVICE_LOST' || !this.ownsDevice || !this.gpu?.lost) throw e;
        const gpu = await this.liveGpu();
        return gpu.warp(gpu.upload(decoded.image, opaque), field, kind, encode, lap);
      }
    }
    if (!('data' in field)) throw new FaceReshapeError('INTERNAL', 'A field plan reached the CPU warp; this is a bug, please report it.');
    const pixels = toImageData(decoded.image, decoded.width, decoded.height);
    lap?.('decode');
    const out = warpCpu(pixels, field);
    lap?.('warp');
    const result = await encodeImageData(new ImageData(out.data, out.width, out.height), kind, encode);
    lap?.('encode');
    return result;
  }

  /** The GPU stack, with our own device replaced when it was lost (a driver reset or tab backgrounding can cause this). */
  private async liveGpu(): Promise<GpuStack> {
    const gpu = this.gpu!;
    if (!gpu.lost) return gpu;
    if (!this.ownsDevice) {
      throw new FaceReshapeError('DEVICE_LOST', 'The GPU device given to createWithDevice() was lost. Create a new device and a new reshaper with it.');
    }
    gpu.destroy(true);
    this.gpu = await GpuStack.create();
    return this.gpu;
  }

  /** Encoded inputs are checked against this GPU's texture limit before they are decoded. */
  private decodeOptions(): { maxSide?: number } {
    return this.gpu ? { maxSide: this.gpu.device.limits.maxTextureDimension2D } : {};
  }

  private open(): { detector: LandmarkDetector } {
    if (this.closed || !this.detector) throw new FaceReshapeError('CLOSED', 'This FaceReshaper was closed; create a new one with FaceReshaper.create().');
    return { detector: this.detector };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
