import warpWgsl from '../../shaders/warp.wgsl?raw';
import type { FieldRegion } from '../field/types.js';
import { GrowableBuffer } from '../gpu/growable-buffer.js';
import { Staging } from '../gpu/sizing.js';
import { viewOf } from '../gpu/views.js';
import { buildSpans, SPAN_BYTES, type TileTest } from './culling.js';
import type { FieldBuffers } from './field-buffers.js';
import { warpShader } from './prelude.js';

/** Culling granularity of the render form: regions are cut into tiles of about this many pixels a side. */
const TILE_PX = 32;

/**
 * The warp's render form (shaders/warp.wgsl): instanced quads over the live spans of the field's
 * regions, into any renderable output format (the compute form needs an rgba8unorm storage
 * texture). The same pixels as the compute form.
 */
export class SpansPass {
  private readonly fieldLayout: GPUBindGroupLayout;
  private readonly imagesLayout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly module: GPUShaderModule;
  private readonly pipelines = new Map<GPUTextureFormat, GPURenderPipeline>();
  private readonly spans: GrowableBuffer;
  private readonly staging = new Staging();
  private count = 0;
  private readonly imageGroups = new WeakMap<GPUTexture, GPUBindGroup>();

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly sampler: GPUSampler,
  ) {
    const storage = { type: 'read-only-storage' } as const;
    const { VERTEX, FRAGMENT } = GPUShaderStage;
    // The field's nodes are read per pixel; regions, spans and guard factors per vertex.
    this.fieldLayout = device.createBindGroupLayout({
      label: `${label} spans field layout`,
      entries: [FRAGMENT, VERTEX, VERTEX, VERTEX].map((visibility, binding) => ({ binding, visibility, buffer: storage })),
    });
    this.imagesLayout = device.createBindGroupLayout({
      label: `${label} spans images layout`,
      entries: [
        { binding: 0, visibility: VERTEX | FRAGMENT, texture: { sampleType: 'float' } },
        { binding: 1, visibility: FRAGMENT, sampler: { type: 'filtering' } },
      ],
    });
    this.pipelineLayout = device.createPipelineLayout({ label: `${label} spans pipeline layout`, bindGroupLayouts: [this.fieldLayout, this.imagesLayout] });
    this.module = device.createShaderModule({ label: `${label} spans shader`, code: warpShader(warpWgsl) });
    this.spans = new GrowableBuffer(device, `${label} spans`, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
  }

  /** A render pipeline for this output format, made once. */
  pipelineFor(format: GPUTextureFormat): GPURenderPipeline {
    let pipeline = this.pipelines.get(format);
    if (!pipeline) {
      pipeline = this.device.createRenderPipeline({
        label: `${this.label} spans pipeline (${format})`,
        layout: this.pipelineLayout,
        vertex: { module: this.module, entryPoint: 'vs' },
        fragment: { module: this.module, entryPoint: 'fs', targets: [{ format }] },
        primitive: { topology: 'triangle-strip' },
      });
      this.pipelines.set(format, pipeline);
    }
    return pipeline;
  }

  /**
   * Lists the live spans of the drawn regions, after a first span over the whole image when the
   * output could not take a copy of the source (`fullCopy`); returns how many (0: nothing to draw).
   */
  plan(regions: readonly FieldRegion[], live: TileTest, fullCopy: boolean, width: number, height: number): number {
    this.count = buildSpans(regions, live, fullCopy, width, height, TILE_PX, this.staging);
    if (this.count > 0) this.spans.write(this.staging.buffer, this.count * SPAN_BYTES);
    return this.count;
  }

  /** Records the pass over the spans of the last plan(), reading `field` (prepared) and `src`, drawing into `out`. */
  encode(encoder: GPUCommandEncoder, field: FieldBuffers, src: GPUTexture, out: GPUTexture): void {
    const pass = encoder.beginRenderPass({
      label: `${this.label} spans pass`,
      colorAttachments: [{ view: viewOf(out), loadOp: 'load', storeOp: 'store' }],
    });
    pass.setPipeline(this.pipelineFor(out.format));
    pass.setBindGroup(0, field.bindGroup(this.fieldLayout, this.spans, `${this.label} spans field bind group`));
    pass.setBindGroup(1, this.imageGroupFor(src));
    pass.draw(4, this.count);
    pass.end();
  }

  destroy(): void {
    this.spans.destroy();
    this.pipelines.clear();
  }

  private imageGroupFor(src: GPUTexture): GPUBindGroup {
    let group = this.imageGroups.get(src);
    if (!group) {
      group = this.device.createBindGroup({
        label: `${this.label} spans images bind group`,
        layout: this.imagesLayout,
        entries: [
          { binding: 0, resource: viewOf(src) },
          { binding: 1, resource: this.sampler },
        ],
      });
      this.imageGroups.set(src, group);
    }
    return group;
  }
}
