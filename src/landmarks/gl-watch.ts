/**
 * The canvas a tasks-vision landmarker does its WebGL work on (image conversion, and the GPU
 * delegate). When that context is lost (a GPU-process crash, a driver reset, WEBGL_lose_context),
 * or cannot be made at all, tasks-vision does not say so: it answers "no faces" or fails with a
 * TypeError. So the landmarker gets a canvas of ours, and this watch sees the context it gets.
 */
export class GlWatch {
  /** Handed to tasks-vision (`canvas` option); undefined where OffscreenCanvas is missing (it then makes its own). */
  readonly canvas: OffscreenCanvas | undefined;
  private lostEvent = false;
  private gl: WebGLRenderingContext | WebGL2RenderingContext | null = null;
  /** tasks-vision asked for a WebGL context and got none (it then tries webgl after webgl2). */
  private refused = false;

  constructor() {
    if (typeof OffscreenCanvas === 'undefined') return;
    const canvas = new OffscreenCanvas(1, 1);
    canvas.addEventListener('webglcontextlost', () => (this.lostEvent = true));
    // See the context tasks-vision makes (webgl2, else webgl), whatever its attributes, without making one.
    const getContext = canvas.getContext.bind(canvas) as (type: string, options?: unknown) => unknown;
    Object.defineProperty(canvas, 'getContext', {
      configurable: true,
      value: (type: string, options?: unknown) => {
        const ctx = getContext(type, options);
        if (type === 'webgl2' || type === 'webgl') {
          if (ctx) this.gl = ctx as WebGL2RenderingContext;
          else this.refused = true;
        }
        return ctx;
      },
    });
    this.canvas = canvas;
  }

  /** True once the context is lost, or could not be made; it never comes back for this landmarker. */
  get lost(): boolean {
    return this.lostEvent || (this.gl ? this.gl.isContextLost() : this.refused);
  }
}
