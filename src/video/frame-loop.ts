type RvfcVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: { mediaTime: number; captureTime?: number; presentedFrames: number }) => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

/**
 * Calls `render` once per new frame of a playing <video>: requestVideoFrameCallback where the
 * browser has it, else requestAnimationFrame when the video's time moved. A frame that arrives
 * while the renderer takes none (`accepting`: on the main thread, while the previous frame is
 * still being processed; in worker mode, while a frame is being detected or two are in the
 * workers) is dropped (and counted).
 */
export class FrameLoop {
  private running = false;
  private handle = 0;
  private handleKind: 'rvfc' | 'raf' | null = null;
  private lastVideoTime = -1;
  /** Frames skipped because the renderer took none when they arrived. */
  dropped = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    /** Renders the video's current frame; `now` and `capture` are performance.now() times (capture: the camera's, when known). */
    private readonly render: (video: HTMLVideoElement, now: number, capture: number) => Promise<unknown>,
    private readonly onError: (e: unknown) => void,
    /** Whether `render` would take a frame now. */
    private readonly accepting: () => boolean,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Idempotent. */
  stop(): void {
    this.running = false;
    const v = this.video as RvfcVideo;
    if (this.handleKind === 'rvfc') v.cancelVideoFrameCallback?.(this.handle);
    else if (this.handleKind === 'raf') cancelAnimationFrame(this.handle);
    this.handleKind = null;
  }

  private schedule(): void {
    if (!this.running) return;
    const v = this.video as RvfcVideo;
    if (typeof v.requestVideoFrameCallback === 'function') {
      this.handleKind = 'rvfc';
      this.handle = v.requestVideoFrameCallback((now, meta) => this.tick(now, meta.captureTime));
    } else {
      this.handleKind = 'raf';
      this.handle = requestAnimationFrame((now) => {
        if (v.currentTime === this.lastVideoTime) return this.schedule();
        this.lastVideoTime = v.currentTime;
        this.tick(now, undefined);
      });
    }
  }

  private tick(now: number, captureTime: number | undefined): void {
    if (!this.running) return;
    const v = this.video;
    this.schedule(); // next callback first: a slow frame must not delay the subscription
    if (v.readyState < 2 || !(v.videoWidth > 0)) return;
    if (!this.accepting()) {
      this.dropped++;
      return;
    }
    this.render(v, now, captureTime ?? now).catch(this.onError);
  }
}
