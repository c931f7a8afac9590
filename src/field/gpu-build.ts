import commonWgsl from '../../shaders/field-common.wgsl?raw';
import forwardWgsl from '../../shaders/field-forward.wgsl?raw';
import guardWgsl from '../../shaders/field-guard.wgsl?raw';
import gridWgsl from '../../shaders/grid.wgsl?raw';
import invertWgsl from '../../shaders/field-invert.wgsl?raw';
import { isEmulatedDevice } from '../gpu/adapter.js';
import { GrowableBuffer } from '../gpu/growable-buffer.js';
import { dispatchGrid, Staging } from '../gpu/sizing.js';
import type { FieldPlan } from './plan.js';

/** Bytes per record; mirror `struct Region` in shaders/field-common.wgsl and `struct Prim` in field-forward.wgsl. */
const REGION_BYTES = 32;
const PRIM_BYTES = 80;
const PARAMS_BYTES = 32;
const WORKGROUP = 64;
/** bitcast<u32>(1.0f): the fold-guard factor of a region nothing folds in. */
export const ALPHA_ONE_BITS = 0x3f800000;

/** Where the GPU build writes: the field (vec2f per node, the layout of DisplacementField.data) and one guard factor per region (f32 bits). */
export interface GpuFieldTarget {
  field: GPUBuffer;
  alpha: GPUBuffer;
}

/**
 * Evaluates a FieldPlan on the GPU: the same maths as the CPU build (build.ts and its parts) in three
 * compute passes: forward motion per node, its inversion per node, and the fold guard per cell
 * (one factor per region, which the warp applies). Only the plan's primitives (a few KB) cross
 * to the GPU; the field never comes back. Owns its pipelines and its own buffers (parameters,
 * regions, primitives, forward motion); writes into buffers the caller owns.
 */
export class GpuFieldBuilder {
  private readonly device: GPUDevice;
  private readonly label: string;
  private readonly layouts: GPUBindGroupLayout[];
  private readonly pipelines: GPUComputePipeline[];
  private readonly params: GPUBuffer;
  private readonly regions: GrowableBuffer;
  private readonly prims: GrowableBuffer;
  private readonly forward: GrowableBuffer;
  private bindGroups: { key: string; field: GPUBuffer; alpha: GPUBuffer; groups: GPUBindGroup[] } | null = null;
  private readonly regionStaging = new Staging();
  private readonly primStaging = new Staging();
  private destroyed = false;

  constructor(device: GPUDevice, label = 'face-reshape field') {
    this.device = device;
    this.label = label;
    const passes: Array<[string, string, GPUBufferBindingType]> = [
      ['forward', forwardWgsl, 'read-only-storage'],
      ['invert', invertWgsl, 'read-only-storage'],
      ['guard', guardWgsl, 'read-only-storage'],
    ];
    this.layouts = passes.map(([name, , input]) =>
      device.createBindGroupLayout({
        label: `${label} ${name} bind group layout`,
        entries: [
          { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
          { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
          { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: input } },
          { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
        ],
      }),
    );
    this.pipelines = passes.map(([name, code], k) =>
      device.createComputePipeline({
        label: `${label} ${name} pipeline`,
        layout: device.createPipelineLayout({ label: `${label} ${name} pipeline layout`, bindGroupLayouts: [this.layouts[k]] }),
        compute: { module: device.createShaderModule({ label: `${label} ${name} shader`, code: [gridWgsl, commonWgsl, code].join('\n') }), entryPoint: 'main' },
      }),
    );
    this.params = device.createBuffer({ label: `${label} params`, size: PARAMS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    this.regions = new GrowableBuffer(device, `${label} regions`, usage);
    this.prims = new GrowableBuffer(device, `${label} primitives`, usage);
    this.forward = new GrowableBuffer(device, `${label} forward motion`, usage);
  }

  /** Bytes the field buffer needs for this plan (vec2f per node). */
  static fieldBytes(plan: FieldPlan): number {
    return Math.max(16, plan.regions.reduce((n, r) => n + r.cols * r.rows, 0) * 8);
  }

  /** Bytes the alpha buffer needs for this plan (one u32 per region). */
  static alphaBytes(plan: FieldPlan): number {
    return Math.max(16, plan.regions.length * 4);
  }

  /**
   * Records the three passes into `encoder` (after queueing the uploads). `out.field` must hold
   * fieldBytes(plan) and `out.alpha` alphaBytes(plan); alpha is reset to 1 here.
   */
  encode(encoder: GPUCommandEncoder, plan: FieldPlan, out: GpuFieldTarget): void {
    const total = plan.regions.reduce((n, r) => n + r.cols * r.rows, 0);
    if (total === 0) return;
    const q = this.device.queue;

    // Regions and primitives. Per region: ordinary primitives first, then the lateral
    // compressions sorted by face and edit (the forward pass saturates them per face).
    let primCount = 0;
    plan.groups.forEach((g) => (primCount += g.prims.length));
    const regionBytes = this.regionStaging.reserve(plan.regions.length * REGION_BYTES);
    const primBytes = this.primStaging.reserve(primCount * PRIM_BYTES);
    const rf = new Float32Array(regionBytes);
    const ru = new Uint32Array(regionBytes);
    const pf = new Float32Array(primBytes);
    const pu = new Uint32Array(primBytes);
    let p = 0;
    plan.regions.forEach((r, k) => {
      const g = plan.groups[k];
      const order = g.prims.map((_, i) => i);
      order.sort((a, b) => {
        const sa = g.prims[a].squeeze ? 1 : 0;
        const sb = g.prims[b].squeeze ? 1 : 0;
        return sa - sb || (sa ? g.face[a] - g.face[b] || g.edit[a] - g.edit[b] : 0) || a - b;
      });
      const o = k * (REGION_BYTES / 4);
      rf[o] = r.x0;
      rf[o + 1] = r.y0;
      rf[o + 2] = r.cell;
      ru[o + 3] = r.cols;
      ru[o + 4] = r.rows;
      ru[o + 5] = r.offset;
      ru[o + 6] = p;
      ru[o + 7] = order.length;
      for (const i of order) {
        const pr = g.prims[i];
        const b = p * (PRIM_BYTES / 4);
        pf.set([pr.cx, pr.cy, pr.e1x, pr.e1y, pr.e2x, pr.e2y, 1 / pr.rx, 1 / pr.ry, pr.tx, pr.ty, 0, 0, pr.a11, pr.a12, pr.a21, pr.a22, pr.inner, pr.squeeze ?? 0], b);
        pu[b + 18] = g.face[i];
        pu[b + 19] = g.edit[i];
        p++;
      }
    });
    this.regions.write(regionBytes, plan.regions.length * REGION_BYTES);
    this.prims.write(primBytes, primCount * PRIM_BYTES);
    this.forward.ensure(total * 8);
    const params = new ArrayBuffer(PARAMS_BYTES);
    new Uint32Array(params, 0, 3).set([total, plan.regions.length, plan.iterations]);
    new Float32Array(params, 12, 2).set([plan.squeezeCap, plan.minDet]);
    q.writeBuffer(this.params, 0, params);
    q.writeBuffer(out.alpha, 0, new Uint32Array(plan.regions.length).fill(ALPHA_ONE_BITS));

    const [gx, gy] = dispatchGrid(Math.ceil(total / WORKGROUP));
    const groupsFor = this.bindGroupsFor(out);
    const pass = encoder.beginComputePass({ label: `${this.label} build pass` });
    // Dispatches in one pass run in order, each seeing the previous one's writes.
    const passes = plan.minDet > 0 ? 3 : 2;
    for (let k = 0; k < passes; k++) {
      pass.setPipeline(this.pipelines[k]);
      pass.setBindGroup(0, groupsFor[k]);
      pass.dispatchWorkgroups(gx, gy);
    }
    pass.end();
  }

  private bindGroupsFor(out: GpuFieldTarget): GPUBindGroup[] {
    const c = this.bindGroups;
    const key = `${this.regions.version}.${this.prims.version}.${this.forward.version}`;
    if (c && c.key === key && c.field === out.field && c.alpha === out.alpha) return c.groups;
    const io: Array<[string, GPUBuffer, GPUBuffer]> = [
      ['forward', this.prims.buffer, this.forward.buffer],
      ['invert', this.forward.buffer, out.field],
      ['guard', out.field, out.alpha],
    ];
    const groups = io.map(([name, input, output], k) =>
      this.device.createBindGroup({
        label: `${this.label} ${name} bind group`,
        layout: this.layouts[k],
        entries: [
          { binding: 0, resource: { buffer: this.params } },
          { binding: 1, resource: { buffer: this.regions.buffer } },
          { binding: 2, resource: { buffer: input } },
          { binding: 3, resource: { buffer: output } },
        ],
      }),
    );
    this.bindGroups = { key, field: out.field, alpha: out.alpha, groups };
    return groups;
  }

  /** Frees the builder's own buffers. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.params.destroy();
    this.regions.destroy();
    this.prims.destroy();
    this.forward.destroy();
  }

}

/** Where the field's values are computed on the WebGPU backend. */
export type FieldBuild = 'auto' | 'gpu' | 'cpu';

/**
 * Whether to compute the field on the GPU. 'auto': yes, unless the device comes from a fallback
 * adapter (a GPU emulated on the CPU, such as SwiftShader), where the emulated compute passes
 * take several times longer than building the field in JavaScript (measured on a 2-core host:
 * 35–60 ms of GPU time against 9–11 ms for all 22 shapes on a 600 px face). On a real GPU they
 * are a few thousand small invocations, while the CPU build costs milliseconds of main-thread
 * time per call or frame.
 */
export function fieldOnGpu(device: GPUDevice, choice: FieldBuild = 'auto'): boolean {
  if (choice !== 'auto') return choice === 'gpu';
  return !isEmulatedDevice(device);
}
