import { FaceReshapeError } from '../errors.js';
import { fieldOnGpu, type FieldBuild } from '../field/gpu-build.js';
import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField } from '../field/types.js';
import { isDeviceLost } from '../gpu/device.js';
import { TextureReader } from '../gpu/readback.js';
import { TextureUploader, type GpuImageSource } from '../gpu/upload.js';
import { GpuWarper } from '../warp/gpu-warper.js';
import { ExternalUploader } from './external-upload.js';
import { context2d, fitCanvas, FramePixels, type FrameRenderer, type PresentPath, type UploadPath, type VideoSource } from './frame-renderer.js';

export interface GpuRendererOptions {
  present: PresentPath;
  /** 'auto': 'external' when presenting through WebGPU, else 'canvas2d'. */
  upload?: 'auto' | UploadPath;
  fieldBuild?: FieldBuild;
}

/**
 * Frames warped with WebGPU: uploaded (imported as an external texture, copied, or through a 2D
 * canvas), warped, and presented through the canvas's 'webgpu' context, or read back into its 2D
 * context. Owns the device it is given, and everything made on it.
 */
export class GpuFrameRenderer implements FrameRenderer {
  readonly backend = 'webgpu' as const;
  readonly present: PresentPath;
  readonly fieldOnGpu: boolean;
  private readonly gpuContext: GPUCanvasContext | null;
  private readonly ctx2d: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  private readonly uploader: TextureUploader;
  private readonly external: ExternalUploader;
  private readonly warper: GpuWarper;
  private readonly reader: TextureReader;
  private readonly pixels = new FramePixels();
  private uploadPath: UploadPath;
  private configured = false;
  private lastOut: GPUTexture | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly canvas: HTMLCanvasElement | OffscreenCanvas,
    options: GpuRendererOptions,
  ) {
    this.present = options.present;
    this.fieldOnGpu = fieldOnGpu(device, options.fieldBuild);
    this.uploadPath = options.upload && options.upload !== 'auto' ? options.upload : options.present === 'webgpu' ? 'external' : 'canvas2d';
    if (options.present === 'webgpu') {
      const ctx = canvas.getContext('webgpu') as GPUCanvasContext | null;
      if (!ctx) throw new FaceReshapeError('WEBGPU_UNAVAILABLE', 'canvas.getContext("webgpu") returned null (the canvas may already have a 2D context).');
      this.gpuContext = ctx;
      this.ctx2d = null;
    } else {
      this.gpuContext = null;
      this.ctx2d = context2d(canvas);
    }
    this.uploader = new TextureUploader(device, { label: 'face-reshape video input' });
    this.external = new ExternalUploader(device);
    this.warper = new GpuWarper(device, { label: 'face-reshape video warp' });
    this.reader = new TextureReader(device, { label: 'face-reshape video snapshot' });
  }

  get lost(): boolean {
    return isDeviceLost(this.device);
  }

  async render(source: VideoSource, width: number, height: number, field: DisplacementField | FieldPlan): Promise<UploadPath> {
    const device = this.device;
    if ((fitCanvas(this.canvas, width, height) || !this.configured) && this.gpuContext) {
      // rgba8unorm (always allowed for canvases) matches the warp output, so presenting is a plain texture copy.
      this.gpuContext.configure({ device, format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_DST, alphaMode: 'opaque' });
      this.configured = true;
    }
    const isVideo =
      (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) || (typeof VideoFrame !== 'undefined' && source instanceof VideoFrame);
    let path: UploadPath = this.uploadPath;
    let src: GPUTexture | null = null;
    if (path === 'canvas2d' && isVideo) {
      src = this.uploader.upload(this.pixels.read(source, width, height));
    } else if (path === 'external' && isVideo) {
      try {
        src = this.external.upload(source as HTMLVideoElement | VideoFrame, width, height);
      } catch (e) {
        // Not supported for this source here: copy from now on.
        console.warn(`webgpu-face-reshape: importExternalTexture failed (${(e as Error).message}); using copyExternalImageToTexture.`);
        this.uploadPath = 'copy';
      }
    }
    if (!src) {
      path = 'copy';
      src = this.uploader.upload(source as GpuImageSource);
    }
    const out = this.warper.warp(src, field);
    this.lastOut = out;
    if (!this.gpuContext) {
      this.ctx2d!.putImageData(await this.reader.readImageData(out), 0, 0);
      return path;
    }
    const encoder = device.createCommandEncoder({ label: 'face-reshape video present' });
    encoder.copyTextureToTexture({ texture: out }, { texture: this.gpuContext.getCurrentTexture() }, { width, height });
    device.queue.submit([encoder.finish()]);
    return path;
  }

  async snapshot(): Promise<ImageData> {
    if (!this.lastOut) throw new FaceReshapeError('INTERNAL', 'No frame has been rendered yet.');
    return this.reader.readImageData(this.lastOut);
  }

  close(): void {
    this.gpuContext?.unconfigure();
    this.external.destroy();
    this.uploader.destroy();
    this.warper.destroy();
    this.reader.destroy();
    this.device.destroy();
    this.lastOut = null;
  }
}
