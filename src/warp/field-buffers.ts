import { ALPHA_ONE_BITS, GpuFieldBuilder } from '../field/gpu-build.js';
import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField, FieldRegion } from '../field/types.js';
import { GrowableBuffer } from '../gpu/growable-buffer.js';
import { Staging } from '../gpu/sizing.js';
import { pixelRect } from './culling.js';

/** Bytes per record; mirror `struct Region` in shaders/warp-common.wgsl. */
const REGION_BYTES = 48;

/**
 * A field on the GPU, as both warp forms read it (group 0 of their shaders, with their own list of
 * spans or tiles): the node values, one fold-guard factor per region, and the region records.
 * A field built on the CPU is uploaded; a plan is computed on the GPU in the warp's own
 * submission (src/field/gpu-build.ts), uploading only its primitives.
 */
export class FieldBuffers {
  readonly field: GrowableBuffer;
  readonly alpha: GrowableBuffer;
  readonly regions: GrowableBuffer;
  private readonly builder: GpuFieldBuilder;
  private readonly staging = new Staging();
  private readonly groups = new Map<GPUBindGroupLayout, { key: string; group: GPUBindGroup }>();

  constructor(private readonly device: GPUDevice, label: string) {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    this.field = new GrowableBuffer(device, `${label} field`, usage);
    this.alpha = new GrowableBuffer(device, `${label} fold guard`, usage);
    this.regions = new GrowableBuffer(device, `${label} regions`, usage);
    this.builder = new GpuFieldBuilder(device, `${label} field`);
  }

  /**
   * Group 0 of a warp form: the field, the regions, the form's own list (tiles or spans) and the
   * guard factors, in that binding order; made again only when one of the buffers was replaced.
   */
  bindGroup(layout: GPUBindGroupLayout, list: GrowableBuffer, label: string): GPUBindGroup {
    const buffers = [this.field, this.regions, list, this.alpha];
    const key = buffers.map((b) => b.version).join('.');
    const cached = this.groups.get(layout);
    if (cached?.key === key) return cached.group;
    const group = this.device.createBindGroup({ label, layout, entries: buffers.map((b, binding) => ({ binding, resource: { buffer: b.buffer } })) });
    this.groups.set(layout, { key, group });
    return group;
  }

  /**
   * Writes the records of the regions to draw (`drawn`, a subset of the field's, whose order the
   * guard factors follow; plus a last "no field" record for the render form's texel copy) and the
   * field's values: computed in `encoder` for a plan, uploaded for a field built on the CPU.
   */
  prepare(encoder: GPUCommandEncoder, field: DisplacementField | FieldPlan, drawn: readonly FieldRegion[]): void {
    const { width, height } = field;
    const bytes = (drawn.length + 1) * REGION_BYTES;
    const records = this.staging.reserve(bytes);
    const f = new Float32Array(records);
    const u = new Uint32Array(records);
    const i = new Int32Array(records);
    for (let k = 0; k <= drawn.length; k++) {
      const o = k * (REGION_BYTES / 4);
      const r = drawn[k];
      f[o] = r ? r.x0 : 0;
      f[o + 1] = r ? r.y0 : 0;
      f[o + 2] = r ? r.cell : 1;
      u[o + 3] = r ? r.cols : 0;
      u[o + 4] = r ? r.rows : 0;
      u[o + 5] = r ? r.offset : 0;
      u[o + 6] = r ? field.regions.indexOf(r) : 0;
      u[o + 7] = 0;
      i.set(r ? pixelRect(r, width, height) : [0, 0, 0, 0], o + 8);
    }
    this.regions.write(records, bytes);
    if ('groups' in field) {
      const out = { field: this.field.ensure(GpuFieldBuilder.fieldBytes(field)), alpha: this.alpha.ensure(GpuFieldBuilder.alphaBytes(field)) };
      this.builder.encode(encoder, field, out);
    } else {
      this.field.write(field.data.buffer, field.data.byteLength, field.data.byteOffset);
      const ones = new Uint32Array(Math.max(4, field.regions.length)).fill(ALPHA_ONE_BITS);
      this.alpha.write(ones.buffer, ones.byteLength);
    }
  }

  destroy(): void {
    this.builder.destroy();
    this.field.destroy();
    this.alpha.destroy();
    this.regions.destroy();
  }
}
