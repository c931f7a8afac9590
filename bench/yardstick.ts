import copyWgsl from '../shaders/copy.wgsl?raw';
import { FaceReshapeError } from '../src/errors.js';
import { assertDeviceAlive, watchDevice } from '../src/gpu/device.js';
import { WARP_OUTPUT_USAGE } from '../src/warp/gpu-warper.js';
import { stamp, type GpuTiming } from '../src/gpu/timing.js';

/**
 * The benchmark yardstick (contract section 7, `gpu_copy_1080p_ms`): a full-frame render pass
 * that samples the source once per pixel, bilinear, into another texture of the same size,
 * i.e. a naive identity warp. Pipeline, layout and sampler are created once; the output
 * texture is kept for the last size used; bind groups are cached per source texture.
 */
export class CopyYardstick {
  readonly device: GPUDevice;
  readonly format: GPUTextureFormat;
  private readonly pipeline: GPURenderPipeline;
  private readonly bindGroupLayout: GPUBindGroupLayout;
  private readonly sampler: GPUSampler;
  private readonly bindGroups = new WeakMap<GPUTexture, GPUBindGroup>();
  private output: GPUTexture | null = null;
  private destroyed = false;

  constructor(device: GPUDevice, options: { format?: GPUTextureFormat } = {}) {
    this.device = device;
    this.format = options.format ?? 'rgba8unorm';
    watchDevice(device);
    const module = device.createShaderModule({ label: 'yardstick copy shader', code: copyWgsl });
    this.bindGroupLayout = device.createBindGroupLayout({
      label: 'yardstick bind group layout',
      entries: [
        { binding: 0, visibility: GPUShaderStage.FRAGMENT, texture: { sampleType: 'float' } },
        { binding: 1, visibility: GPUShaderStage.FRAGMENT, sampler: { type: 'filtering' } },
      ],
    });
    this.pipeline = device.createRenderPipeline({
      label: 'yardstick copy pipeline',
      layout: device.createPipelineLayout({ label: 'yardstick pipeline layout', bindGroupLayouts: [this.bindGroupLayout] }),
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format: this.format }] },
      primitive: { topology: 'triangle-list' },
    });
    this.sampler = device.createSampler({
      label: 'yardstick bilinear clamp sampler',
      magFilter: 'linear',
      minFilter: 'linear',
      addressModeU: 'clamp-to-edge',
      addressModeV: 'clamp-to-edge',
    });
  }

  /** Samples `src` once per pixel into a texture of the same size and submits. Returns that texture (owned by the yardstick). */
  run(src: GPUTexture, timing?: GpuTiming): GPUTexture {
    if (this.destroyed) throw new FaceReshapeError('CLOSED', 'CopyYardstick.run() called after destroy().');
    assertDeviceAlive(this.device, 'the copy yardstick');
    let out = this.output;
    if (!out || out.width !== src.width || out.height !== src.height) {
      out?.destroy();
      out = this.device.createTexture({
        label: `yardstick output ${src.width}x${src.height}`,
        size: { width: src.width, height: src.height },
        format: this.format,
        usage: WARP_OUTPUT_USAGE,
      });
      this.output = out;
    }
    let group = this.bindGroups.get(src);
    if (!group) {
      group = this.device.createBindGroup({
        label: 'yardstick bind group',
        layout: this.bindGroupLayout,
        entries: [
          { binding: 0, resource: src.createView({ label: 'yardstick source view' }) },
          { binding: 1, resource: this.sampler },
        ],
      });
      this.bindGroups.set(src, group);
    }
    const encoder = this.device.createCommandEncoder({ label: 'yardstick encoder' });
    stamp(encoder, timing, 'begin');
    const pass = encoder.beginRenderPass({
      label: 'yardstick pass',
      colorAttachments: [{ view: out.createView({ label: 'yardstick output view' }), loadOp: 'clear', clearValue: [0, 0, 0, 0], storeOp: 'store' }],
    });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, group);
    pass.draw(3);
    pass.end();
    stamp(encoder, timing, 'end');
    this.device.queue.submit([encoder.finish()]);
    return out;
  }

  /** Frees the output texture. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.output?.destroy();
    this.output = null;
  }
}
