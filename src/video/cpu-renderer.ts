import { FaceReshapeError } from '../errors.js';
import type { FieldPlan } from '../field/plan.js';
import type { DisplacementField } from '../field/types.js';
import { warpCpu } from '../warp/cpu.js';
import { context2d, fitCanvas, FramePixels, type FrameRenderer, type VideoSource } from './frame-renderer.js';

/** Frames warped on the CPU (the reference warp) and put into a 2D canvas. */
export class CpuFrameRenderer implements FrameRenderer {
  readonly backend = 'cpu' as const;
  readonly present = '2d' as const;
  readonly fieldOnGpu = false;
  readonly lost = false;
  private readonly ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  private readonly pixels = new FramePixels();

  constructor(private readonly canvas: HTMLCanvasElement | OffscreenCanvas) {
    this.ctx = context2d(canvas);
  }

  async render(source: VideoSource, width: number, height: number, field: DisplacementField | FieldPlan): Promise<'cpu'> {
    if (!('data' in field)) throw new FaceReshapeError('INTERNAL', 'A field plan reached the CPU video warp; this is a bug, please report it.');
    fitCanvas(this.canvas, width, height);
    const img = this.pixels.read(source, width, height);
    if (!field.regions.length) this.ctx.putImageData(img, 0, 0);
    else this.ctx.putImageData(new ImageData(warpCpu(img, field).data, width, height), 0, 0);
    return 'cpu';
  }

  async snapshot(): Promise<ImageData> {
    return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  close(): void {}
}
