import warpCellsWgsl from '../../shaders/warp-cells.wgsl?raw';
import type { FieldRegion } from '../field/types.js';
import { GrowableBuffer } from '../gpu/growable-buffer.js';
import { Staging } from '../gpu/sizing.js';
import { viewOf } from '../gpu/views.js';
import { buildTiles, TILE_BYTES, type TileTest } from './culling.js';
import type { FieldBuffers } from './field-buffers.js';
import { warpShader } from './prelude.js';

/** The format the compute form writes (its `texture_storage_2d<rgba8unorm, write>`). */
export const STORAGE_FORMAT: GPUTextureFormat = 'rgba8unorm';

/**
 * The warp's compute form (shaders/warp-cells.wgsl): one invocation per field cell, one
 * workgroup per live 8×8-cell tile. For 'rgba8unorm' outputs with STORAGE_BINDING; several times
 * cheaper per pixel than the render form where the GPU is emulated on the CPU.
 */
export class CellsPass {
  private readonly fieldLayout: GPUBindGroupLayout;
  private readonly imagesLayout: GPUBindGroupLayout;
  private readonly pipeline: GPUComputePipeline;
  private readonly tiles: GrowableBuffer;
  private readonly staging = new Staging();
  private groups: [number, number] = [0, 0];
  /** Per source, then per output. */
  private readonly imageGroups = new WeakMap<GPUTexture, WeakMap<GPUTexture, GPUBindGroup>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly sampler: GPUSampler,
  ) {
    const storage = { type: 'read-only-storage' } as const;
    const compute = GPUShaderStage.COMPUTE;
    this.fieldLayout = device.createBindGroupLayout({
      label: `${label} cells field layout`,
      entries: [0, 1, 2, 3].map((binding) => ({ binding, visibility: compute, buffer: storage })),
    });
    this.imagesLayout = device.createBindGroupLayout({
      label: `${label} cells images layout`,
      entries: [
        { binding: 0, visibility: compute, texture: { sampleType: 'float' } },
        { binding: 1, visibility: compute, sampler: { type: 'filtering' } },
        { binding: 2, visibility: compute, storageTexture: { access: 'write-only', format: STORAGE_FORMAT } },
      ],
    });
    this.pipeline = device.createComputePipeline({
      label: `${label} cells pipeline`,
      layout: device.createPipelineLayout({ label: `${label} cells pipeline layout`, bindGroupLayouts: [this.fieldLayout, this.imagesLayout] }),
      compute: { module: device.createShaderModule({ label: `${label} cells shader`, code: warpShader(warpCellsWgsl) }), entryPoint: 'main' },
    });
    this.tiles = new GrowableBuffer(device, `${label} tiles`, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
  }

  /** Lists the live tiles of the drawn regions; returns how many (0: nothing to draw). */
  plan(regions: readonly FieldRegion[], live: TileTest, width: number, height: number): number {
    const { count, groups } = buildTiles(regions, live, width, height, this.staging);
    this.groups = groups;
    if (count > 0) this.tiles.write(this.staging.buffer, groups[0] * groups[1] * TILE_BYTES);
    return count;
  }

  /** Records the pass over the tiles of the last plan(), reading `field` (prepared) and `src`, writing `out`. */
  encode(encoder: GPUCommandEncoder, field: FieldBuffers, src: GPUTexture, out: GPUTexture): void {
    const pass = encoder.beginComputePass({ label: `${this.label} cells pass` });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, field.bindGroup(this.fieldLayout, this.tiles, `${this.label} cells field bind group`));
    pass.setBindGroup(1, this.imageGroupFor(src, out));
    pass.dispatchWorkgroups(this.groups[0], this.groups[1]);
    pass.end();
  }

  destroy(): void {
    this.tiles.destroy();
  }

  private imageGroupFor(src: GPUTexture, out: GPUTexture): GPUBindGroup {
    let perOut = this.imageGroups.get(src);
    if (!perOut) this.imageGroups.set(src, (perOut = new WeakMap()));
    let group = perOut.get(out);
    if (!group) {
      group = this.device.createBindGroup({
        label: `${this.label} cells images bind group`,
        layout: this.imagesLayout,
        entries: [
          { binding: 0, resource: viewOf(src) },
          { binding: 1, resource: this.sampler },
          { binding: 2, resource: viewOf(out) },
        ],
      });
      perOut.set(out, group);
    }
    return group;
  }
}
