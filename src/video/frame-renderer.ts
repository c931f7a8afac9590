import { FaceReshapeError } from '../errors.js';
import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField } from '../field/types.js';
import type { Backend } from '../types.js';

/** A frame the pipeline can take: a playing <video>, a VideoFrame, an ImageBitmap, a canvas or an <img>. */
export type VideoSource = HTMLVideoElement | VideoFrame | ImageBitmap | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement;

/**
 * How frames reach the GPU: 'external' (importExternalTexture + one blit pass; <video>/VideoFrame
 * only, else 'copy'), 'copy' (copyExternalImageToTexture) or 'canvas2d' (video drawn into a 2D
 * canvas, read to the CPU and written with writeTexture: for environments where importing video
 * frames into WebGPU loses the device, as headless Chromium on SwiftShader does).
 */
export type UploadPath = 'external' | 'copy' | 'canvas2d';

/** How warped frames reach the canvas: 'webgpu' (a WebGPU canvas context, no CPU round trip) or '2d' (putImageData). */
export type PresentPath = 'webgpu' | '2d';

/**
 * Warps one frame by its field and puts it on the output canvas. Two kinds: the WebGPU warp
 * (GpuFrameRenderer) and the CPU warp into a 2D canvas (CpuFrameRenderer); FramePipeline runs
 * either the same way.
 */
export interface FrameRenderer {
  readonly backend: Backend;
  readonly present: PresentPath;
  /** Whether the renderer wants a field plan (values computed in its GPU work) rather than a built field. */
  readonly fieldOnGpu: boolean;
  /** True once the renderer cannot draw any more (its GPU device is lost). */
  readonly lost: boolean;
  /** Draws the frame; says how its pixels got to the warp. */
  render(source: VideoSource, width: number, height: number, field: DisplacementField | FieldPlan): Promise<UploadPath | 'cpu'>;
  /** RGBA pixels of the last frame drawn. */
  snapshot(): Promise<ImageData>;
  close(): void;
}

/** The canvas sized to the frame; true when it changed (a WebGPU context must then be configured again). */
export function fitCanvas(canvas: HTMLCanvasElement | OffscreenCanvas, width: number, height: number): boolean {
  if (canvas.width === width && canvas.height === height) return false;
  canvas.width = width;
  canvas.height = height;
  return true;
}

export function context2d(canvas: HTMLCanvasElement | OffscreenCanvas): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new FaceReshapeError('INTERNAL', 'canvas.getContext("2d") returned null (the canvas may already have a WebGPU context).');
  return ctx;
}

/** A frame's pixels on the CPU, through one reused CPU-backed 2D canvas. */
export class FramePixels {
  private readonly canvas = new OffscreenCanvas(1, 1);
  private readonly ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;

  read(source: VideoSource, width: number, height: number): ImageData {
    fitCanvas(this.canvas, width, height);
    this.ctx.drawImage(source as CanvasImageSource, 0, 0, width, height);
    return this.ctx.getImageData(0, 0, width, height);
  }
}
