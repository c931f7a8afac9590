import { FaceReshapeError } from '../errors.js';
import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField } from '../field/types.js';
import { assertDeviceAlive, watchDevice } from '../gpu/device.js';
import { TexturePool } from '../gpu/texture-pool.js';
import { stamp, type GpuTiming } from '../gpu/timing.js';
import { CellsPass, STORAGE_FORMAT } from './cells-pass.js';
import { boundsLive, nodesLive } from './culling.js';
import { FieldBuffers } from './field-buffers.js';
import { SpansPass } from './spans-pass.js';

export interface GpuWarperOptions {
  /** Format of the output textures this warper allocates (default 'rgba8unorm'). */
  format?: GPUTextureFormat;
  label?: string;
}

/** Usages of the output textures the warper allocates; a caller's `target` needs at least COPY_DST | RENDER_ATTACHMENT. */
// Literal values (TEXTURE_BINDING 4 | COPY_SRC 1 | COPY_DST 2 | RENDER_ATTACHMENT 16) so importing this module
// outside a WebGPU environment (Node) does not touch the GPUTextureUsage global.
export const WARP_OUTPUT_USAGE: GPUTextureUsageFlags = 4 | 1 | 2 | 16;
/**
 * STORAGE_BINDING (8): with it, an 'rgba8unorm' output takes the compute form of the warp,
 * several times cheaper per pixel where the GPU is emulated on the CPU; without it (or for other
 * formats, which cannot be storage textures in core WebGPU) the render form gives the same pixels.
 */
export const WARP_STORAGE_USAGE: GPUTextureUsageFlags = 8;

/** Formats copyTextureToTexture accepts between each other (equal, or differing only by -srgb). */
function copyCompatible(a: GPUTextureFormat, b: GPUTextureFormat): boolean {
  return a.replace('-srgb', '') === b.replace('-srgb', '');
}

/**
 * The GPU warp. Applies a backward DisplacementField to a source texture.
 *
 * Cost grows with face area, not image area: the whole source is copied into the output with
 * copyTextureToTexture, then only the parts of the field's regions where the field is not zero
 * are redrawn, each pixel sampling the source exactly once. Two forms give the same pixels: a
 * compute pass over 8×8-cell tiles (CellsPass), for 'rgba8unorm' outputs with STORAGE_BINDING
 * (every output the warper allocates itself), and a render pass of instanced quads (SpansPass)
 * for any other output.
 *
 * Ownership: the warper owns both passes, the field's buffers, the sampler and the output
 * textures it allocates. An output returned by warp() without a `target` stays valid until the
 * warp call after next for the same size (two slots alternate, and the slot holding `src` is
 * never reused as the output) or until destroy(); pass your own `target` to keep results longer.
 */
export class GpuWarper {
  readonly device: GPUDevice;
  readonly format: GPUTextureFormat;
  private readonly label: string;
  private readonly field: FieldBuffers;
  private readonly cells: CellsPass;
  private readonly spans: SpansPass;
  private readonly outputs: TexturePool;
  private destroyed = false;
  /** Which form the last warp() drew with ('cells': compute, 'spans': render, 'copy': nothing to warp). For tests and the bench. */
  lastPass: 'cells' | 'spans' | 'copy' | null = null;

  constructor(device: GPUDevice, options: GpuWarperOptions = {}) {
    this.device = device;
    this.format = options.format ?? 'rgba8unorm';
    this.label = options.label ?? 'face-reshape warp';
    watchDevice(device);
    const sampler = device.createSampler({
      label: `${this.label} bilinear clamp sampler`,
      magFilter: 'linear',
      minFilter: 'linear',
      mipmapFilter: 'nearest',
      addressModeU: 'clamp-to-edge',
      addressModeV: 'clamp-to-edge',
    });
    this.field = new FieldBuffers(device, this.label);
    this.cells = new CellsPass(device, this.label, sampler);
    this.spans = new SpansPass(device, this.label, sampler);
    this.spans.pipelineFor(this.format);
    this.outputs = new TexturePool(device, {
      label: `${this.label} output`,
      format: this.format,
      usage: WARP_OUTPUT_USAGE | (this.format === STORAGE_FORMAT ? WARP_STORAGE_USAGE : 0),
      slots: 2,
    });
  }

  /**
   * Warps `src` by `field` into `target` (or a warper-owned texture of src's size) and submits
   * the work. Returns the output texture. `field` is either a field built on the CPU
   * (buildField) or a plan (planField) whose values are then computed on the GPU in the same
   * submission (src/field/gpu-build.ts): only its primitives are uploaded. Either must have
   * src's size; `target` must have src's size, differ from src and have COPY_DST |
   * RENDER_ATTACHMENT usage. `timing` (bench) brackets all the work with GPU timestamps.
   */
  warp(src: GPUTexture, field: DisplacementField | FieldPlan, target?: GPUTexture, timing?: GpuTiming): GPUTexture {
    if (this.destroyed) throw new FaceReshapeError('CLOSED', 'GpuWarper.warp() called after destroy().');
    assertDeviceAlive(this.device, 'the GPU warp');
    const { width, height } = src;
    if (field.width !== width || field.height !== height) {
      throw new FaceReshapeError('INVALID_ARGUMENT', `Displacement field is ${field.width}x${field.height} but the source texture is ${width}x${height}.`);
    }
    if (target) {
      if (target === src) throw new FaceReshapeError('INVALID_ARGUMENT', 'GpuWarper.warp(): target must not be the source texture.');
      if (target.width !== width || target.height !== height) {
        throw new FaceReshapeError('INVALID_ARGUMENT', `Warp target is ${target.width}x${target.height}, expected ${width}x${height}.`);
      }
    }
    const out = target ?? this.outputs.take(width, height, src);

    // Whole-image copy first; the warp then overwrites only the region rects.
    const canCopy = copyCompatible(src.format, out.format) && (src.usage & GPUTextureUsage.COPY_SRC) !== 0 && src.sampleCount === out.sampleCount;
    const regions = field.regions.filter(
      (r) => r.cols >= 2 && r.rows >= 2 && r.px1 > r.px0 && r.py1 > r.py0 && r.px0 < width && r.py0 < height && r.px1 > 0 && r.py1 > 0,
    );
    const live = 'groups' in field ? boundsLive(field) : nodesLive(field);
    const encoder = this.device.createCommandEncoder({ label: `${this.label} encoder` });
    stamp(encoder, timing, 'begin');
    if (canCopy) encoder.copyTextureToTexture({ texture: src }, { texture: out }, { width, height });
    const pass = canCopy && out.format === STORAGE_FORMAT && (out.usage & WARP_STORAGE_USAGE) !== 0 ? this.cells : this.spans;
    const count = pass === this.cells ? this.cells.plan(regions, live, width, height) : this.spans.plan(regions, live, !canCopy, width, height);
    this.lastPass = count === 0 ? 'copy' : pass === this.cells ? 'cells' : 'spans';
    if (count > 0) {
      this.field.prepare(encoder, field, regions);
      pass.encode(encoder, this.field, src, out);
    }
    stamp(encoder, timing, 'end');
    this.device.queue.submit([encoder.finish()]);
    return out;
  }

  /** Frees every GPU object this warper owns. Idempotent. Textures passed in by the caller are not touched. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.field.destroy();
    this.cells.destroy();
    this.spans.destroy();
    this.outputs.destroy();
  }
}
