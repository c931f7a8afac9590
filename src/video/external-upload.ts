import { FaceReshapeError } from '../errors.js';
import { UPLOAD_USAGE } from '../gpu/upload.js';

const BLIT_WGSL = /* wgsl */ `
@group(0) @binding(0) var frame: texture_external;
@group(0) @binding(1) var samp: sampler;
struct VsOut { @builtin(position) pos: vec4f, @location(0) uv: vec2f }
@vertex fn vs(@builtin(vertex_index) i: u32) -> VsOut {
  // One triangle covering the target.
  let p = vec2f(f32((i << 1u) & 2u), f32(i & 2u));
  var o: VsOut;
  o.pos = vec4f(p * vec2f(2.0, -2.0) + vec2f(-1.0, 1.0), 0.0, 1.0);
  o.uv = p;
  return o;
}
@fragment fn fs(in: VsOut) -> @location(0) vec4f {
  return vec4f(textureSampleBaseClampToEdge(frame, samp, in.uv).rgb, 1.0);
}
`;

/**
 * Zero-copy video upload: the frame of a <video> or VideoFrame is imported with
 * importExternalTexture (no CPU copy; YUV→RGB happens in the sampler) and drawn once into a
 * reused rgba8unorm texture the warp reads. The pipeline, sampler and target texture are made
 * once; the bind group must be made per frame, because an external texture lives for one frame.
 */
export class ExternalUploader {
  private readonly device: GPUDevice;
  private readonly pipeline: GPURenderPipeline;
  private readonly sampler: GPUSampler;
  private target: GPUTexture | null = null;
  private view: GPUTextureView | null = null;
  private destroyed = false;

  constructor(device: GPUDevice) {
    this.device = device;
    const module = device.createShaderModule({ label: 'face-reshape external blit', code: BLIT_WGSL });
    this.pipeline = device.createRenderPipeline({
      label: 'face-reshape external blit',
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
      primitive: { topology: 'triangle-list' },
    });
    this.sampler = device.createSampler({ label: 'face-reshape external sampler', magFilter: 'linear', minFilter: 'linear' });
  }

  upload(source: HTMLVideoElement | VideoFrame, width: number, height: number): GPUTexture {
    if (this.destroyed) throw new FaceReshapeError('CLOSED', 'ExternalUploader used after destroy().');
    if (!this.target || this.target.width !== width || this.target.height !== height) {
      this.target?.destroy();
      this.target = this.device.createTexture({ label: 'face-reshape video frame', size: { width, height }, format: 'rgba8unorm', usage: UPLOAD_USAGE });
      this.view = this.target.createView();
    }
    const external = this.device.importExternalTexture({ source });
    const group = this.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: external },
        { binding: 1, resource: this.sampler },
      ],
    });
    const encoder = this.device.createCommandEncoder({ label: 'face-reshape external blit' });
    const pass = encoder.beginRenderPass({ colorAttachments: [{ view: this.view!, loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }] });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, group);
    pass.draw(3);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    return this.target;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.target?.destroy();
    this.target = null;
    this.view = null;
  }
}
