import { FaceReshapeError } from '../errors.js';
import type { FieldBuild } from '../field/gpu-build.js';
import { isEmulated } from '../gpu/adapter.js';
import { requestGpuDevice } from '../gpu/device.js';
import type { Backend } from '../types.js';
import { CpuFrameRenderer } from './cpu-renderer.js';
import type { Detection } from './detect-stage.js';
import type { FrameRenderer, PresentPath, UploadPath, VideoSource } from './frame-renderer.js';
import type { FrameStats } from './frame-stats.js';
import { GpuFrameRenderer } from './gpu-renderer.js';

export interface RenderStageOptions {
  /**
   * 'auto' (default): WebGPU on a real GPU; the CPU warp into a 2D canvas where the adapter is
   * emulated on the CPU (SwiftShader), where it is several times faster for video and presenting a
   * WebGPU canvas loses the device; the CPU warp also where there is no WebGPU.
   */
  backend?: 'auto' | Backend;
  /** 'auto' (default): 'external' where frames are presented through WebGPU, else 'canvas2d'. */
  upload?: 'auto' | UploadPath;
  /** 'auto' (default): a WebGPU canvas context, except on an emulated adapter, where frames go through a 2D context. */
  present?: 'auto' | PresentPath;
  /** Where the field is computed on the WebGPU backend (see FaceReshaperOptions.fieldBuild). */
  fieldBuild?: FieldBuild;
}

/**
 * The second half of a video frame: upload, warp by the detect stage's field, present, for one
 * output canvas. FramePipeline runs it on the page's thread; in worker mode the render worker
 * runs it (on the canvas's OffscreenCanvas) while the detect worker works on the next frame.
 */
export class RenderStage {
  readonly backend: Backend;
  readonly present: PresentPath;
  /** Whether the detect stage should only plan the field (its values are computed in the warp's GPU work). */
  readonly fieldOnGpu: boolean;
  private frames = 0;
  private closed = false;

  private constructor(private readonly renderer: FrameRenderer) {
    this.backend = renderer.backend;
    this.present = renderer.present;
    this.fieldOnGpu = renderer.fieldOnGpu;
  }

  static async create(canvas: HTMLCanvasElement | OffscreenCanvas, options: RenderStageOptions = {}): Promise<RenderStage> {
    return new RenderStage(await createRenderer(canvas, options));
  }

  /** Warps and presents the frame; its figures are the detection's plus this stage's. */
  async render(source: VideoSource, d: Detection): Promise<FrameStats> {
    if (this.closed) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
    const t0 = performance.now();
    const upload = await this.renderer.render(source, d.width, d.height, d.warp);
    const renderMs = performance.now() - t0;
    this.frames++;
    const { warp: _warp, overlapped, ...figures } = d;
    return {
      ...figures,
      frame: this.frames,
      renderMs,
      totalMs: d.detectMs + d.trackMs + d.fieldMs + renderMs,
      backend: this.backend,
      upload,
      present: this.present,
      overlapped: overlapped ?? false,
    };
  }

  /** The pixels of the last frame rendered (RGBA). */
  snapshot(): Promise<ImageData> {
    if (this.closed) throw new FaceReshapeError('CLOSED', 'This video reshaper was closed.');
    return this.renderer.snapshot();
  }

  get deviceLost(): boolean {
    return this.renderer.lost;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.renderer.close();
  }
}

/** The adapter WebGPU would give, asked once per thread: null where there is none. */
let adapterProbe: Promise<GPUAdapterInfo | null> | null = null;
function adapterInfo(): Promise<GPUAdapterInfo | null> {
  adapterProbe ??= (async () => {
    try {
      const adapter = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter();
      return adapter ? adapter.info : null;
    } catch {
      return null;
    }
  })();
  return adapterProbe;
}

/**
 * The renderer the options and this browser call for (see RenderStageOptions.backend and .present):
 * on an emulated adapter (SwiftShader) 'auto' draws with the CPU warp, and a WebGPU canvas is not
 * presented (headless Chromium there loses every device of the page: "A valid external Instance
 * reference no longer exists"); without WebGPU 'auto' falls back to the CPU warp with a warning.
 */
async function createRenderer(canvas: HTMLCanvasElement | OffscreenCanvas, options: RenderStageOptions): Promise<FrameRenderer> {
  const backend = options.backend ?? 'auto';
  if (backend === 'cpu') return new CpuFrameRenderer(canvas);
  const info = await adapterInfo();
  const emulated = isEmulated(info ?? undefined);
  if (backend === 'auto' && emulated) return new CpuFrameRenderer(canvas);
  let device: GPUDevice;
  try {
    device = (await requestGpuDevice({ label: 'face-reshape video device' })).device;
  } catch (e) {
    if (backend === 'webgpu' || !(e instanceof FaceReshapeError) || e.code !== 'WEBGPU_UNAVAILABLE') throw e;
    console.warn(`webgpu-face-reshape: ${e.message} Falling back to the CPU warp for video.`);
    return new CpuFrameRenderer(canvas);
  }
  const present: PresentPath = options.present && options.present !== 'auto' ? options.present : emulated ? '2d' : 'webgpu';
  try {
    return new GpuFrameRenderer(device, canvas, { present, upload: options.upload, fieldBuild: options.fieldBuild });
  } catch (e) {
    device.destroy();
    throw e;
  }
}
