import warpWgsl from '../../shaders/warp.wgsl?raw';
import { FaceReshapeError } from '../errors';
import type { DisplacementField, FieldRegion } from '../field/types';
import { assertDeviceAlive, watchDevice } from './device';

export interface GpuWarperOptions {
  /** Format of the output textures this warper allocates (default 'rgba8unorm'). */
  format?: GPUTextureFormat;
  label?: string;
}

/** Usages of the output textures the warper allocates; a caller's `target` needs at least COPY_DST | RENDER_ATTACHMENT. */
// Literal values (TEXTURE_BINDING 4 | COPY_SRC 1 | COPY_DST 2 | RENDER_ATTACHMENT 16) so importing this module
// outside a WebGPU environment (Node) does not touch the GPUTextureUsage global.
export const WARP_OUTPUT_USAGE: GPUTextureUsageFlags = 4 | 1 | 2 | 16;

/** Bytes per record; mirror `struct Region` and `struct Span` in shaders/warp.wgsl. */
const REGION_BYTES = 32;
const SPAN_BYTES = 32;
const MIN_BUFFER_BYTES = 4096;
/** Culling granularity: regions are cut into tiles of about this many pixels a side. */
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

function growSize(need: number): number {
  let size = MIN_BUFFER_BYTES;
  while (size < need) size *= 2;
  return size;
}

/**
 * For pixels [p0, p1) along one axis of a region, the pixel range [start, end) of each of the
 * `tiles` tiles (`tile` cells each), using the shader's cell choice for the pixel centre:
 * min(floor(clamp((x + 0.5 - origin) / cell, 0, n - 1)), n - 2). Empty tiles get start == end.
 */
function tileRanges(p0: number, p1: number, origin: number, cell: number, nodes: number, tile: number, tiles: number): Int32Array {
  const ranges = new Int32Array(tiles * 2);
  for (let t = 0; t < tiles; t++) {
    ranges[2 * t] = p1;
    ranges[2 * t + 1] = p1;
  }
  const max = nodes - 1;
  let prev = -1;
  for (let x = p0; x < p1; x++) {
    const g = Math.min(Math.max((x + 0.5 - origin) / cell, 0), max);
    const t = Math.floor(Math.min(Math.floor(g), max - 1) / tile);
    if (t !== prev) {
      ranges[2 * t] = x;
      if (prev >= 0) ranges[2 * prev + 1] = x;
      prev = t;
    }
  }
  return ranges;
}

/**
 * The GPU warp. Applies a backward DisplacementField to a source texture.
 *
 * Cost grows with face area, not image area: the whole source is copied into the output with
 * copyTextureToTexture, then one render pass draws one quad per field region (instanced, a
 * single draw call) covering exactly that region's pixel rect; each covered pixel interpolates
 * the field and samples the source once (shaders/warp.wgsl).
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
  private readonly sampler: GPUSampler;
  private fieldBuffer: GPUBuffer;
  private regionBuffer: GPUBuffer;
  private spanBuffer: GPUBuffer;
  /** Bumped whenever a buffer is replaced, so cached bind groups know they are stale. */
  private bufferGeneration = 0;
  private readonly bindGroups = new WeakMap<GPUTexture, { generation: number; group: GPUBindGroup }>();
  /** Render views of output textures, made once per texture (the video path warps every frame). */
  private readonly outputViews = new WeakMap<GPUTexture, GPUTextureView>();
  private regionStaging = new ArrayBuffer(MIN_BUFFER_BYTES);
  private spanStaging = new ArrayBuffer(MIN_BUFFER_BYTES);
  private fieldStaging = new Float32Array(MIN_BUFFER_BYTES / 4);
  private readonly outputs = new Map<string, OutputSlots>();
  private destroyed = false;

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
      ],
    });
    this.pipelineLayout = device.createPipelineLayout({ label: `${this.label} pipeline layout`, bindGroupLayouts: [this.bindGroupLayout] });
    this.pipelineFor(this.format);
    this.sampler = device.createSampler({
      label: `${this.label} bilinear clamp sampler`,
      magFilter: 'linear',
      minFilter: 'linear',
      mipmapFilter: 'nearest',
      addressModeU: 'clamp-to-edge',
      addressModeV: 'clamp-to-edge',
    });
    this.fieldBuffer = this.createBuffer('field', MIN_BUFFER_BYTES);
    this.regionBuffer = this.createBuffer('regions', MIN_BUFFER_BYTES);
    this.spanBuffer = this.createBuffer('spans', MIN_BUFFER_BYTES);
  }

  /**
   * Warps `src` by `field` into `target` (or a warper-owned texture of src's size) and submits
   * the work. Returns the output texture. `field` must have src's size; `target` must have
   * src's size, differ from src and have COPY_DST | RENDER_ATTACHMENT usage.
   */
  warp(src: GPUTexture, field: DisplacementField, target?: GPUTexture): GPUTexture {
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
    const spans = this.buildSpans(field, regions, canCopy, width, height);

    const encoder = this.device.createCommandEncoder({ label: `${this.label} encoder` });
    if (canCopy) {
      encoder.copyTextureToTexture({ texture: src }, { texture: out }, { width, height });
    }
    if (spans > 0) {
      this.uploadRegions(regions);
      this.uploadField(field.data);
      this.spanBuffer = this.upload(this.spanBuffer, 'spans', this.spanStaging, spans * SPAN_BYTES);
      const pass = encoder.beginRenderPass({
        label: `${this.label} pass`,
        colorAttachments: [{ view: this.outputView(out), loadOp: 'load', storeOp: 'store' }],
      });
      pass.setPipeline(this.pipelineFor(out.format));
      pass.setBindGroup(0, this.bindGroupFor(src));
      pass.draw(4, spans);
      pass.end();
    }
    this.device.queue.submit([encoder.finish()]);
    return out;
  }

  private outputView(out: GPUTexture): GPUTextureView {
    let view = this.outputViews.get(out);
    if (!view) {
      view = out.createView({ label: `${this.label} output view` });
      this.outputViews.set(out, view);
    }
    return view;
  }

  /** Frees every GPU object this warper owns. Idempotent. Textures passed in by the caller are not touched. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.fieldBuffer.destroy();
    this.regionBuffer.destroy();
    this.spanBuffer.destroy();
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
  private upload(buffer: GPUBuffer, what: string, data: ArrayBuffer, bytes: number): GPUBuffer {
    if (bytes > buffer.size) {
      buffer.destroy();
      buffer = this.createBuffer(what, growSize(bytes));
      this.bufferGeneration++;
    }
    if (bytes > 0) this.device.queue.writeBuffer(buffer, 0, data, 0, bytes);
    return buffer;
  }

  /** Uploads the field with node n stored as (d[n], d[n + 1]) so the shader fetches a node and its right neighbour at once. */
  private uploadField(data: Float32Array): void {
    const nodes = data.length >> 1;
    const floats = Math.max(4, nodes * 4);
    if (floats > this.fieldStaging.length) this.fieldStaging = new Float32Array(growSize(floats * 4) / 4);
    const packed = this.fieldStaging;
    for (let n = 0, k = 0; n < nodes; n++, k += 4) {
      packed[k] = data[2 * n];
      packed[k + 1] = data[2 * n + 1];
      // The last node has no right neighbour; the shader never reads it (cells end one node early).
      packed[k + 2] = n + 1 < nodes ? data[2 * n + 2] : 0;
      packed[k + 3] = n + 1 < nodes ? data[2 * n + 3] : 0;
    }
    this.fieldBuffer = this.upload(this.fieldBuffer, 'field', packed.buffer as ArrayBuffer, floats * 4);
  }

  /** One Region record per field region, plus a final "no field" record used by the texel-copy span. */
  private uploadRegions(regions: FieldRegion[]): void {
    const bytes = (regions.length + 1) * REGION_BYTES;
    if (bytes > this.regionStaging.byteLength) this.regionStaging = new ArrayBuffer(growSize(bytes));
    const f = new Float32Array(this.regionStaging);
    const u = new Uint32Array(this.regionStaging);
    for (let k = 0; k <= regions.length; k++) {
      const o = k * (REGION_BYTES / 4);
      const r = regions[k];
      f[o] = r ? r.x0 : 0;
      f[o + 1] = r ? r.y0 : 0;
      f[o + 2] = r ? r.cell : 1;
      u[o + 3] = r ? r.cols : 0;
      u[o + 4] = r ? r.rows : 0;
      u[o + 5] = r ? r.offset : 0;
      u[o + 6] = 0;
      u[o + 7] = 0;
    }
    this.regionBuffer = this.upload(this.regionBuffer, 'regions', this.regionStaging, bytes);
  }

  /**
   * Fills spanStaging with the pixel rects to draw and returns their count. Each region's pixel
   * rect is cut into tiles of about TILE_PX pixels (whole cells); a tile whose nodes are all
   * exactly zero has d == 0 at every pixel, where the copied source is already the answer, so
   * it is dropped. Neighbouring kept tiles of a row merge into one span. Without the full
   * copy, a first span covering the whole image copies texels (region index = regions.length).
   */
  private buildSpans(field: DisplacementField, regions: FieldRegion[], canCopy: boolean, width: number, height: number): number {
    let count = 0;
    const push = (x0: number, y0: number, x1: number, y1: number, region: number) => {
      const need = (count + 1) * SPAN_BYTES;
      if (need > this.spanStaging.byteLength) {
        const grown = new ArrayBuffer(growSize(need));
        new Uint8Array(grown).set(new Uint8Array(this.spanStaging));
        this.spanStaging = grown;
      }
      const f = new Float32Array(this.spanStaging, count * SPAN_BYTES, 4);
      f[0] = x0;
      f[1] = y0;
      f[2] = x1;
      f[3] = y1;
      new Uint32Array(this.spanStaging, count * SPAN_BYTES + 16, 4).set([region, 0, 0, 0]);
      count++;
    };
    if (!canCopy) push(0, 0, width, height, regions.length);

    const d = field.data;
    regions.forEach((r, index) => {
      const px0 = Math.max(0, Math.floor(r.px0));
      const py0 = Math.max(0, Math.floor(r.py0));
      const px1 = Math.min(width, Math.ceil(r.px1));
      const py1 = Math.min(height, Math.ceil(r.py1));
      if (px1 <= px0 || py1 <= py0) return;
      const tile = Math.max(1, Math.round(TILE_PX / r.cell));
      const tilesX = Math.ceil((r.cols - 1) / tile);
      const tilesY = Math.ceil((r.rows - 1) / tile);
      // Pixel range of each tile column / row, from the cell each pixel centre falls in (as the shader computes it).
      const xs = tileRanges(px0, px1, r.x0, r.cell, r.cols, tile, tilesX);
      const ys = tileRanges(py0, py1, r.y0, r.cell, r.rows, tile, tilesY);
      for (let ty = 0; ty < tilesY; ty++) {
        if (ys[2 * ty + 1] <= ys[2 * ty]) continue;
        const j0 = ty * tile;
        const j1 = Math.min(j0 + tile, r.rows - 1);
        let runStart = -1;
        for (let tx = 0; tx <= tilesX; tx++) {
          let live = false;
          if (tx < tilesX && xs[2 * tx + 1] > xs[2 * tx]) {
            const i0 = tx * tile;
            const i1 = Math.min(i0 + tile, r.cols - 1);
            for (let j = j0; j <= j1 && !live; j++) {
              const base = (r.offset + j * r.cols) * 2;
              for (let k = base + i0 * 2, end = base + i1 * 2 + 1; k <= end; k++) {
                if (d[k] !== 0) {
                  live = true;
                  break;
                }
              }
            }
          } else if (tx < tilesX) {
            continue; // a tile with no pixels neither starts nor ends a run
          }
          if (live && runStart < 0) runStart = tx;
          if (!live && runStart >= 0) {
            push(xs[2 * runStart], ys[2 * ty], xs[2 * (tx - 1) + 1], ys[2 * ty + 1], index);
            runStart = -1;
          }
        }
      }
    });
    return count;
  }

  private bindGroupFor(src: GPUTexture): GPUBindGroup {
    const cached = this.bindGroups.get(src);
    if (cached && cached.generation === this.bufferGeneration) return cached.group;
    const group = this.device.createBindGroup({
      label: `${this.label} bind group`,
      layout: this.bindGroupLayout,
      entries: [
        { binding: 0, resource: src.createView({ label: `${this.label} source view` }) },
        { binding: 1, resource: this.sampler },
        { binding: 2, resource: { buffer: this.fieldBuffer } },
        { binding: 3, resource: { buffer: this.regionBuffer } },
        { binding: 4, resource: { buffer: this.spanBuffer } },
      ],
    });
    this.bindGroups.set(src, { generation: this.bufferGeneration, group });
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
        usage: WARP_OUTPUT_USAGE,
      });
      slots.textures[i] = tex;
    }
    return tex;
  }
}
