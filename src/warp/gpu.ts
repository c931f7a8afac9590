import warpCellsWgsl from '../../shaders/warp-cells.wgsl?raw';
import warpWgsl from '../../shaders/warp.wgsl?raw';
import { FaceReshapeError } from '../errors.js';
import type { FieldPlan } from '../field/plan.js';
import { ALPHA_ONE_BITS, GpuFieldBuilder } from '../field/gpu-build.js';
import type { DisplacementField, FieldRegion } from '../field/types.js';
import { ensureBuffer, growSize, MIN_BUFFER_BYTES } from '../gpu/sizing.js';
import { boundsLive, buildSpans, buildTiles, nodesLive, pixelRect, SPAN_BYTES, TILE_BYTES, type Staging } from './culling.js';
import { assertDeviceAlive, watchDevice } from '../gpu/device.js';
import { stamp, type GpuTiming } from '../gpu/timing.js';

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
 * STORAGE_BINDING (8): with it, an 'rgba8unorm' output takes the compute form of the warp
 * (shaders/warp-cells.wgsl), several times cheaper per pixel where the GPU is emulated on the
 * CPU; without it (or for other formats, which cannot be storage textures in core WebGPU) the
 * render form (shaders/warp.wgsl) gives the same pixels.
 */
export const WARP_STORAGE_USAGE: GPUTextureUsageFlags = 8;
/** The format the compute form writes (its `texture_storage_2d<rgba8unorm, write>`). */
const STORAGE_FORMAT: GPUTextureFormat = 'rgba8unorm';

/** Bytes per record; mirror `struct Region` in shaders/warp.wgsl and shaders/warp-cells.wgsl. */
const REGION_BYTES = 48;
/** Culling granularity of the render form: regions are cut into tiles of about this many pixels a side. */
const TILE_PX = 32;
/** Output textures are kept for this many distinct sizes (two ping-pong slots each). */
const MAX_CACHED_SIZES = 2;

interface OutputSlots {
  textures: (GPUTexture | null)[];
  next: number;
}

/** Formats copyTextureToTexture accepts between each other (equal, or differing only by -srgb). */
function copyCompatible(a: GPUTextureFormat, b: GPUTextureFormat): boolean {
  return a.replace('-srgb', '') === b.replace('-srgb', '');
}

/**
 * The GPU warp. Applies a backward DisplacementField to a source texture.
 *
 * Cost grows with face area, not image area: the whole source is copied into the output with
 * copyTextureToTexture, then only the parts of the field's regions where the field is not zero
 * are redrawn, each pixel sampling the source exactly once. Two forms give the same pixels:
 * a compute pass over 8×8-cell tiles (shaders/warp-cells.wgsl), used for 'rgba8unorm' outputs
 * with STORAGE_BINDING (every output the warper allocates itself), and a render pass of
 * instanced quads (shaders/warp.wgsl) for any other output.
 *
 * Ownership: the warper owns its pipelines, sampler, buffers and the output textures it
 * allocates. An output returned by warp() without a `target` stays valid until the warp call
 * after next for the same size (two slots alternate, and the slot holding `src` is never
 * reused as the output) or until destroy(); pass your own `target` to keep results longer.
 */
export class GpuWarper {
  readonly device: GPUDevice;
  readonly format: GPUTextureFormat;
  private readonly label: string;
  private readonly module: GPUShaderModule;
  private readonly bindGroupLayout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly pipelines = new Map<GPUTextureFormat, GPURenderPipeline>();
  private readonly cellsBindGroupLayout: GPUBindGroupLayout;
  private readonly cellsPipeline: GPUComputePipeline;
  private readonly sampler: GPUSampler;
  private readonly builder: GpuFieldBuilder;
  private fieldBuffer: GPUBuffer;
  private alphaBuffer: GPUBuffer;
  private regionBuffer: GPUBuffer;
  private spanBuffer: GPUBuffer;
  private tileBuffer: GPUBuffer;
  /** Bumped whenever a buffer is replaced, so cached bind groups know they are stale. */
  private bufferGeneration = 0;
  private readonly bindGroups = new WeakMap<GPUTexture, { generation: number; group: GPUBindGroup }>();
  /** Compute-form bind groups, per source and then per output. */
  private readonly cellsBindGroups = new WeakMap<GPUTexture, WeakMap<GPUTexture, { generation: number; group: GPUBindGroup }>>();
  /** Views of textures (sources, render and storage outputs), made once per texture (the video path warps every frame). */
  private readonly views = new WeakMap<GPUTexture, GPUTextureView>();
  private regionStaging = new ArrayBuffer(MIN_BUFFER_BYTES);
  private readonly spanStaging: Staging = { buffer: new ArrayBuffer(MIN_BUFFER_BYTES) };
  private readonly tileStaging: Staging = { buffer: new ArrayBuffer(MIN_BUFFER_BYTES) };
  private readonly outputs = new Map<string, OutputSlots>();
  private destroyed = false;
  /** Which form the last warp() drew with ('cells': compute, 'spans': render, 'copy': nothing to warp). For tests and the bench. */
  lastPass: 'cells' | 'spans' | 'copy' | null = null;

  constructor(device: GPUDevice, options: GpuWarperOptions = {}) {
    this.device = device;
    this.format = options.format ?? 'rgba8unorm';
    this.label = options.label ?? 'face-reshape warp';
    watchDevice(device);

    this.module = device.createShaderModule({ label: `${this.label} shader`, code: warpWgsl });
    this.bindGroupLayout = device.createBindGroupLayout({
      label: `${this.label} bind group layout`,
      entries: [
        { binding: 0, visibility: GPUShaderStage.VERTEX | GPUShaderStage.FRAGMENT, texture: { sampleType: 'float' } },
        { binding: 1, visibility: GPUShaderStage.FRAGMENT, sampler: { type: 'filtering' } },
        { binding: 2, visibility: GPUShaderStage.FRAGMENT, buffer: { type: 'read-only-storage' } },
        { binding: 3, visibility: GPUShaderStage.VERTEX, buffer: { type: 'read-only-storage' } },
        { binding: 4, visibility: GPUShaderStage.VERTEX, buffer: { type: 'read-only-storage' } },
        { binding: 5, visibility: GPUShaderStage.VERTEX, buffer: { type: 'read-only-storage' } },
      ],
    });
    this.pipelineLayout = device.createPipelineLayout({ label: `${this.label} pipeline layout`, bindGroupLayouts: [this.bindGroupLayout] });
    this.pipelineFor(this.format);
    this.cellsBindGroupLayout = device.createBindGroupLayout({
      label: `${this.label} cells bind group layout`,
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, texture: { sampleType: 'float' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, sampler: { type: 'filtering' } },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 4, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 5, visibility: GPUShaderStage.COMPUTE, storageTexture: { access: 'write-only', format: STORAGE_FORMAT } },
        { binding: 6, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
      ],
    });
    this.cellsPipeline = device.createComputePipeline({
      label: `${this.label} cells pipeline`,
      layout: device.createPipelineLayout({ label: `${this.label} cells pipeline layout`, bindGroupLayouts: [this.cellsBindGroupLayout] }),
      compute: { module: device.createShaderModule({ label: `${this.label} cells shader`, code: warpCellsWgsl }), entryPoint: 'main' },
    });
    this.sampler = device.createSampler({
      label: `${this.label} bilinear clamp sampler`,
      magFilter: 'linear',
      minFilter: 'linear',
      mipmapFilter: 'nearest',
      addressModeU: 'clamp-to-edge',
      addressModeV: 'clamp-to-edge',
    });
    this.builder = new GpuFieldBuilder(device, `${this.label} field`);
    this.fieldBuffer = this.createBuffer('field', MIN_BUFFER_BYTES);
    this.alphaBuffer = this.createBuffer('fold guard', MIN_BUFFER_BYTES);
    this.regionBuffer = this.createBuffer('regions', MIN_BUFFER_BYTES);
    this.spanBuffer = this.createBuffer('spans', MIN_BUFFER_BYTES);
    this.tileBuffer = this.createBuffer('tiles', MIN_BUFFER_BYTES);
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
      throw new FaceReshapeError(
        'ERROR_INVALID_PARAMETER',
        `Displacement field is ${field.width}x${field.height} but the source texture is ${width}x${height}.`,
      );
    }
    if (target) {
      if (target === src) throw new FaceReshapeError('ERROR_INVALID_PARAMETER', 'GpuWarper.warp(): target must not be the source texture.');
      if (target.width !== width || target.height !== height) {
        throw new FaceReshapeError('ERROR_INVALID_PARAMETER', `Warp target is ${target.width}x${target.height}, expected ${width}x${height}.`);
      }
    }
    const out = target ?? this.outputFor(src);

    // Whole-image copy first; the warp then overwrites only the region rects.
    const canCopy =
      copyCompatible(src.format, out.format) && (src.usage & GPUTextureUsage.COPY_SRC) !== 0 && src.sampleCount === out.sampleCount;
    const regions = field.regions.filter(
      (r) => r.cols >= 2 && r.rows >= 2 && r.px1 > r.px0 && r.py1 > r.py0 && r.px0 < width && r.py0 < height && r.px1 > 0 && r.py1 > 0,
    );
    const plan = 'groups' in field ? field : null;
    const live = plan ? boundsLive(plan) : nodesLive(field as DisplacementField);
    const encoder = this.device.createCommandEncoder({ label: `${this.label} encoder` });
    stamp(encoder, timing, 'begin');
    if (canCopy) {
      encoder.copyTextureToTexture({ texture: src }, { texture: out }, { width, height });
    }
    if (canCopy && out.format === STORAGE_FORMAT && (out.usage & WARP_STORAGE_USAGE) !== 0) {
      const { count, groups } = buildTiles(regions, live, width, height, this.tileStaging);
      this.lastPass = count > 0 ? 'cells' : 'copy';
      if (count > 0) {
        this.prepareField(encoder, field, plan, regions, width, height);
        this.tileBuffer = this.upload(this.tileBuffer, 'tiles', this.tileStaging.buffer, groups[0] * groups[1] * TILE_BYTES);
        const pass = encoder.beginComputePass({ label: `${this.label} cells pass` });
        pass.setPipeline(this.cellsPipeline);
        pass.setBindGroup(0, this.cellsBindGroupFor(src, out));
        pass.dispatchWorkgroups(groups[0], groups[1]);
        pass.end();
      }
    } else {
      const spans = buildSpans(regions, live, !canCopy, width, height, TILE_PX, this.spanStaging);
      this.lastPass = spans > 0 ? 'spans' : 'copy';
      if (spans > 0) {
        this.prepareField(encoder, field, plan, regions, width, height);
        this.spanBuffer = this.upload(this.spanBuffer, 'spans', this.spanStaging.buffer, spans * SPAN_BYTES);
        const pass = encoder.beginRenderPass({
          label: `${this.label} pass`,
          colorAttachments: [{ view: this.viewOf(out), loadOp: 'load', storeOp: 'store' }],
        });
        pass.setPipeline(this.pipelineFor(out.format));
        pass.setBindGroup(0, this.bindGroupFor(src));
        pass.draw(4, spans);
        pass.end();
      }
    }
    stamp(encoder, timing, 'end');
    this.device.queue.submit([encoder.finish()]);
    return out;
  }

  /** The field's values and guard factors: computed in `encoder` on the GPU for a plan, uploaded for a CPU-built field. */
  private prepareField(encoder: GPUCommandEncoder, field: DisplacementField | FieldPlan, plan: FieldPlan | null, regions: FieldRegion[], width: number, height: number): void {
    this.uploadRegions(field.regions, regions, width, height);
    if (plan) {
      this.fieldBuffer = this.ensure(this.fieldBuffer, 'field', GpuFieldBuilder.fieldBytes(plan));
      this.alphaBuffer = this.ensure(this.alphaBuffer, 'fold guard', GpuFieldBuilder.alphaBytes(plan));
      this.builder.encode(encoder, plan, { field: this.fieldBuffer, alpha: this.alphaBuffer });
    } else {
      const data = (field as DisplacementField).data;
      this.fieldBuffer = this.upload(this.fieldBuffer, 'field', data.buffer as ArrayBuffer, data.byteLength, data.byteOffset);
      const ones = new Uint32Array(Math.max(4, field.regions.length)).fill(ALPHA_ONE_BITS);
      this.alphaBuffer = this.upload(this.alphaBuffer, 'fold guard', ones.buffer, ones.byteLength);
    }
  }

  private viewOf(texture: GPUTexture): GPUTextureView {
    let view = this.views.get(texture);
    if (!view) {
      view = texture.createView({ label: `${this.label} view of ${texture.label || 'a texture'}` });
      this.views.set(texture, view);
    }
    return view;
  }

  /** Frees every GPU object this warper owns. Idempotent. Textures passed in by the caller are not touched. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.builder.destroy();
    this.fieldBuffer.destroy();
    this.alphaBuffer.destroy();
    this.regionBuffer.destroy();
    this.spanBuffer.destroy();
    this.tileBuffer.destroy();
    for (const slots of this.outputs.values()) for (const t of slots.textures) t?.destroy();
    this.outputs.clear();
    this.pipelines.clear();
  }

  private pipelineFor(format: GPUTextureFormat): GPURenderPipeline {
    let pipeline = this.pipelines.get(format);
    if (!pipeline) {
      pipeline = this.device.createRenderPipeline({
        label: `${this.label} pipeline (${format})`,
        layout: this.pipelineLayout,
        vertex: { module: this.module, entryPoint: 'vs' },
        fragment: { module: this.module, entryPoint: 'fs', targets: [{ format }] },
        primitive: { topology: 'triangle-strip' },
      });
      this.pipelines.set(format, pipeline);
    }
    return pipeline;
  }

  private createBuffer(what: string, size: number): GPUBuffer {
    return this.device.createBuffer({
      label: `${this.label} ${what} buffer`,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }

  /** Writes `bytes` of `data` into `buffer`, replacing it by a larger one first when needed. Returns the buffer to use. */
  private upload(buffer: GPUBuffer, what: string, data: ArrayBuffer, bytes: number, offset = 0): GPUBuffer {
    buffer = this.ensure(buffer, what, bytes);
    if (bytes > 0) this.device.queue.writeBuffer(buffer, 0, data, offset, bytes);
    return buffer;
  }

  /** `buffer`, or a larger replacement when it holds fewer than `bytes` (cached bind groups then go stale). */
  private ensure(buffer: GPUBuffer, what: string, bytes: number): GPUBuffer {
    const next = ensureBuffer(buffer, bytes, (size) => this.createBuffer(what, size));
    if (next !== buffer) this.bufferGeneration++;
    return next;
  }

  /**
   * One Region record per drawn region (`regions`, a subset of `all`, the field's regions, whose
   * order the guard factors follow), plus a final "no field" record used by the texel-copy span.
   */
  private uploadRegions(all: readonly FieldRegion[], regions: FieldRegion[], width: number, height: number): void {
    const bytes = (regions.length + 1) * REGION_BYTES;
    if (bytes > this.regionStaging.byteLength) this.regionStaging = new ArrayBuffer(growSize(bytes));
    const f = new Float32Array(this.regionStaging);
    const u = new Uint32Array(this.regionStaging);
    const i = new Int32Array(this.regionStaging);
    for (let k = 0; k <= regions.length; k++) {
      const o = k * (REGION_BYTES / 4);
      const r = regions[k];
      f[o] = r ? r.x0 : 0;
      f[o + 1] = r ? r.y0 : 0;
      f[o + 2] = r ? r.cell : 1;
      u[o + 3] = r ? r.cols : 0;
      u[o + 4] = r ? r.rows : 0;
      u[o + 5] = r ? r.offset : 0;
      u[o + 6] = r ? all.indexOf(r) : 0;
      u[o + 7] = 0;
      i.set(r ? pixelRect(r, width, height) : [0, 0, 0, 0], o + 8);
    }
    this.regionBuffer = this.upload(this.regionBuffer, 'regions', this.regionStaging, bytes);
  }

  private bindGroupFor(src: GPUTexture): GPUBindGroup {
    const cached = this.bindGroups.get(src);
    if (cached && cached.generation === this.bufferGeneration) return cached.group;
    const group = this.device.createBindGroup({
      label: `${this.label} bind group`,
      layout: this.bindGroupLayout,
      entries: [
        { binding: 0, resource: this.viewOf(src) },
        { binding: 1, resource: this.sampler },
        { binding: 2, resource: { buffer: this.fieldBuffer } },
        { binding: 3, resource: { buffer: this.regionBuffer } },
        { binding: 4, resource: { buffer: this.spanBuffer } },
        { binding: 5, resource: { buffer: this.alphaBuffer } },
      ],
    });
    this.bindGroups.set(src, { generation: this.bufferGeneration, group });
    return group;
  }

  private cellsBindGroupFor(src: GPUTexture, out: GPUTexture): GPUBindGroup {
    let perOut = this.cellsBindGroups.get(src);
    if (!perOut) this.cellsBindGroups.set(src, (perOut = new WeakMap()));
    const cached = perOut.get(out);
    if (cached && cached.generation === this.bufferGeneration) return cached.group;
    const group = this.device.createBindGroup({
      label: `${this.label} cells bind group`,
      layout: this.cellsBindGroupLayout,
      entries: [
        { binding: 0, resource: this.viewOf(src) },
        { binding: 1, resource: this.sampler },
        { binding: 2, resource: { buffer: this.fieldBuffer } },
        { binding: 3, resource: { buffer: this.regionBuffer } },
        { binding: 4, resource: { buffer: this.tileBuffer } },
        { binding: 5, resource: this.viewOf(out) },
        { binding: 6, resource: { buffer: this.alphaBuffer } },
      ],
    });
    perOut.set(out, { generation: this.bufferGeneration, group });
    return group;
  }

  /** A warper-owned output texture of src's size that is not src itself (two alternating slots per size). */
  private outputFor(src: GPUTexture): GPUTexture {
    const key = `${src.width}x${src.height}`;
    let slots = this.outputs.get(key);
    if (slots) {
      this.outputs.delete(key); // re-insert below: Map order is our LRU order
    } else {
      slots = { textures: [null, null], next: 0 };
    }
    this.outputs.set(key, slots);
    while (this.outputs.size > MAX_CACHED_SIZES) {
      const [oldKey, old] = this.outputs.entries().next().value as [string, OutputSlots];
      for (const t of old.textures) t?.destroy();
      this.outputs.delete(oldKey);
    }
    let i = slots.next;
    if (slots.textures[i] === src) i = 1 - i;
    slots.next = 1 - i;
    let tex = slots.textures[i];
    if (!tex) {
      tex = this.device.createTexture({
        label: `${this.label} output ${key} #${i}`,
        size: { width: src.width, height: src.height },
        format: this.format,
        usage: WARP_OUTPUT_USAGE | (this.format === STORAGE_FORMAT ? WARP_STORAGE_USAGE : 0),
      });
      slots.textures[i] = tex;
    }
    return tex;
  }
}
