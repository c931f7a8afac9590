import { FaceReshapeError, type FaceReshapeErrorCode } from '../errors.js';
import type { NormalizedEdit } from '../shapes/edits.js';
import type { Backend, Face } from '../types.js';
import type { OneEuroOptions } from './one-euro.js';
import { splitOptions, type FrameStats, type PipelineOptions, type VideoSource } from './pipeline.js';
import type { FromDetect, FromRender, ToDetect, ToRender, WorkerError } from './worker/protocol.js';

type Settle = { resolve: (v: never) => void; reject: (e: FaceReshapeError) => void };

function fromWorker(e: WorkerError): FaceReshapeError {
  return new FaceReshapeError(e.code as FaceReshapeErrorCode, e.message);
}

function closedError(): FaceReshapeError {
  return new FaceReshapeError('CLOSED', 'This VideoReshaper was closed; create a new one.');
}

/**
 * FramePipeline's interface in two Web Workers: the detect worker (DetectStage) and the render
 * worker (RenderStage, drawing into the page's canvas through an OffscreenCanvas), joined by a
 * MessageChannel. Frame n+1 is detected while frame n is warped: at most two frames in the
 * workers, one detecting and one being warped (or waiting for the warp, or for the detector: a
 * call made while another is detecting goes ahead to wait in the detect worker, so its detection
 * starts the moment the one before ends). Further calls wait their turn here; the FrameLoop hands
 * over a frame only while there is a place in the workers and drops the rest (`accepting`). Frames travel transferred (a VideoFrame, else an ImageBitmap),
 * page → detect → render; each frame's promise settles with the render worker's answer, in order.
 */
export class FrameWorkerClient {
  faces: readonly Face[] = [];
  private detectWorker: Worker | null;
  private renderWorker: Worker | null;
  private nextId = 1;
  private readonly pending = new Map<number, Settle & { frame: boolean }>();
  /** Frames posted and not yet settled (detecting, waiting for the warp, or being warped). */
  private inFlight = 0;
  /** Frames waiting here for the detect worker, in call order. */
  private readonly waiting: Array<{ admit: () => void; reject: (e: FaceReshapeError) => void }> = [];
  private crashedWith: FaceReshapeError | null = null;
  /** Settles once the frame of the latest call is posted (or failed): frames go out in call order. */
  private posted: Promise<void> = Promise.resolve();

  private constructor(
    detectWorker: Worker,
    renderWorker: Worker,
    readonly backend: Backend,
    private readonly onError: (e: FaceReshapeError) => void,
    private readonly onCrash: () => void,
  ) {
    this.detectWorker = detectWorker;
    this.renderWorker = renderWorker;
    detectWorker.addEventListener('message', (e: MessageEvent<FromDetect>) => this.onDetect(e.data));
    renderWorker.addEventListener('message', (e: MessageEvent<FromRender>) => this.onRender(e.data));
    const crashed = (which: string) => (e: ErrorEvent) =>
      this.crashed(new FaceReshapeError('INTERNAL', `The ${which} worker failed (${e.message}); create a new VideoReshaper.`));
    detectWorker.addEventListener('error', crashed('detect'));
    renderWorker.addEventListener('error', crashed('render'));
  }

  /**
   * Starts both workers, moves the canvas's control to the render worker and creates the two
   * stages. The options' asset URLs must be absolute (the workers run from blob: URLs). `onError`
   * gets failures that belong to no call; `onCrash` is told when a worker crashed (both are ended).
   */
  static async create(
    canvas: HTMLCanvasElement,
    options: Omit<PipelineOptions, 'beforeSmoothing'>,
    edits: NormalizedEdit[],
    reportFaces: boolean,
    onError: (e: FaceReshapeError) => void,
    onCrash: () => void,
  ): Promise<FrameWorkerClient> {
    if (typeof canvas.transferControlToOffscreen !== 'function' || typeof Worker === 'undefined' || typeof MessageChannel === 'undefined') {
      throw new FaceReshapeError('INTERNAL', 'worker: true needs Web Workers, MessageChannel and HTMLCanvasElement.transferControlToOffscreen(); leave `worker` off here.');
    }
    const { spawnDetectWorker, spawnRenderWorker } = await import('./worker/spawn.js');
    const detect = spawnDetectWorker();
    const render = spawnRenderWorker();
    try {
      const offscreen = canvas.transferControlToOffscreen();
      const channel = new MessageChannel();
      const { render: renderOptions, detect: detectOptions } = splitOptions(options);
      const rendererReady = ready<Extract<FromRender, { type: 'ready' }>>(render, 'render');
      const detectorReady = ready<Extract<FromDetect, { type: 'ready' }>>(detect, 'detect');
      render.postMessage({ type: 'init', canvas: offscreen, options: renderOptions, port: channel.port1 } satisfies ToRender, [offscreen, channel.port1]);
      detect.postMessage({ type: 'init', options: detectOptions, edits, reportFaces, port: channel.port2 } satisfies ToDetect, [channel.port2]);
      const [r] = await Promise.all([
        rendererReady.then((m) => {
          // Before any frame (messages keep their order): plan or build the field, as the renderer wants.
          detect.postMessage({ type: 'renderer', fieldOnGpu: m.fieldOnGpu } satisfies ToDetect);
          return m;
        }),
        detectorReady,
      ]);
      return new FrameWorkerClient(detect, render, r.backend, onError, onCrash);
    } catch (e) {
      detect.terminate();
      render.terminate();
      throw e;
    }
  }

  /**
   * Whether a frame handed over now goes straight into the workers (the FrameLoop drops frames
   * otherwise): while the detector is busy with one frame and nothing is being warped, the next
   * frame waits in the detect worker, so detection never idles for the next camera frame to arrive
   * (up to one detection's wait for that frame: the rest of the one before it).
   */
  get accepting(): boolean {
    return this.detectWorker !== null && this.inFlight < 2 && this.waiting.length === 0;
  }

  /**
   * Renders one frame in the workers; resolves once it is on the canvas. The caller's source is
   * left alone: a copy is taken now (so it may change once this returns) and transferred.
   */
  async process(source: VideoSource, timestampMs: number): Promise<FrameStats> {
    this.open();
    const copy = transferableFrame(source, timestampMs);
    copy.catch(() => {}); // awaited below, after the turn
    // Copies may be ready out of order: each frame is posted after the one called before it.
    const before = this.posted;
    let done!: () => void;
    this.posted = new Promise<void>((res) => (done = res));
    try {
      try {
        await this.turn();
      } catch (e) {
        copy.then((f) => f.close(), () => {}); // closed while waiting: the copy goes unused
        throw e;
      }
      await before;
      let frame: VideoFrame | ImageBitmap;
      try {
        frame = await copy;
      } catch (e) {
        if (this.detectWorker) this.settled();
        throw e instanceof FaceReshapeError ? e : new FaceReshapeError('INVALID_ARGUMENT', `The video frame could not be copied for the worker (${(e as Error).message}); is the video playing?`, { cause: e });
      }
      const detect = this.detectWorker;
      if (!detect) {
        frame.close();
        throw this.crashedWith ?? closedError();
      }
      const id = this.nextId++;
      return await new Promise<FrameStats>((resolve, reject) => {
        this.pending.set(id, { resolve: resolve as (v: never) => void, reject, frame: true });
        try {
          detect.postMessage({ type: 'frame', id, frame, timestampMs } satisfies ToDetect, [frame]);
        } catch (e) {
          // Not sent (e.g. the frame could not be transferred): give the place back, or later calls wait forever.
          this.pending.delete(id);
          frame.close();
          this.settled();
          reject(new FaceReshapeError('INTERNAL', `The frame could not be sent to the detect worker (${(e as Error).message}).`, { cause: e }));
        }
        done();
      });
    } finally {
      done();
    }
  }

  setEdits(edits: NormalizedEdit[]): void {
    this.postDetect({ type: 'edits', edits });
  }

  setSmoothing(value: boolean | OneEuroOptions): void {
    this.postDetect({ type: 'smoothing', value });
  }

  /**
   * The last frame the render worker warped. Frames still being copied or detected are not waited
   * for: to see a given frame, take the snapshot after its renderFrame() resolved.
   */
  snapshot(): Promise<ImageData> {
    const render = this.renderWorker;
    if (!render) return Promise.reject(closedError());
    const id = this.nextId++;
    return new Promise<ImageData>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, frame: false });
      render.postMessage({ type: 'snapshot', id } satisfies ToRender);
    });
  }

  /**
   * True once a worker crashed and both were ended (no frame can be drawn any more; VideoReshaper
   * then stops its loop). A lost GPU device is reported as an error of the frame it happened in.
   */
  get deviceLost(): boolean {
    return this.crashedWith !== null;
  }

  /** Asks both workers to free everything and ends them a moment later in any case; every open call fails with CLOSED. Idempotent. */
  close(): void {
    const d = this.detectWorker;
    const r = this.renderWorker;
    if (!d || !r) return;
    this.detectWorker = null;
    this.renderWorker = null;
    d.postMessage({ type: 'close' } satisfies ToDetect);
    r.postMessage({ type: 'close' } satisfies ToRender);
    setTimeout(() => {
      d.terminate();
      r.terminate();
    }, 1000);
    this.failAll(closedError());
  }

  private open(): void {
    if (this.crashedWith) throw this.crashedWith;
    if (!this.detectWorker) throw closedError();
  }

  /** Waits until fewer than two frames are in the workers (and none waits before this one), then takes the place. */
  private turn(): Promise<void> {
    if (this.inFlight < 2 && !this.waiting.length) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((admit, reject) => this.waiting.push({ admit, reject }));
  }

  /** A place may have come free: the next waiting frame takes it. */
  private pump(): void {
    while (this.waiting.length && this.detectWorker && this.inFlight < 2) {
      this.inFlight++;
      this.waiting.shift()!.admit();
    }
  }

  /** Frame done (stats or error): its place comes free. */
  private settled(): void {
    this.inFlight--;
    this.pump();
  }

  private postDetect(msg: ToDetect): void {
    if (!this.detectWorker) throw closedError();
    this.detectWorker.postMessage(msg);
  }

  private take(id: number | undefined): (Settle & { frame: boolean }) | undefined {
    if (id === undefined) return undefined;
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }

  private onDetect(m: FromDetect): void {
    if (m.type === 'ready') return;
    // An error: of frame m.id in detection (it never reached the render worker), or of no call.
    const p = this.take(m.id);
    if (!p) return this.orphan(m);
    this.settled();
    p.reject(fromWorker(m.error));
  }

  private onRender(m: FromRender): void {
    if (m.type === 'ready') return;
    const p = this.take(m.id);
    if (m.type === 'error') {
      if (!p) return this.orphan(m);
      if (p.frame) this.settled();
      p.reject(fromWorker(m.error));
      return;
    }
    if (!p) return;
    if (m.type === 'stats') {
      this.faces = m.faces ?? [];
      this.settled();
      (p.resolve as (v: FrameStats) => void)(m.stats);
    } else (p.resolve as (v: ImageData) => void)(m.image);
  }

  /** An error of no open call: onError hears it, unless it belongs to a call already settled by close() or a crash. */
  private orphan(m: { id?: number; error: WorkerError }): void {
    if (m.id === undefined && this.detectWorker) this.onError(fromWorker(m.error));
  }

  /**
   * A worker threw outside any call (its state is unknown from then on): both end, every open call
   * fails with the error, or onError hears it when none was open; later calls fail with it too.
   * `onCrash` is told in every case (the video loop stops: no frame can be drawn any more).
   */
  private crashed(err: FaceReshapeError): void {
    if (!this.detectWorker) return;
    this.crashedWith = err;
    // Frame calls from their turn until settled (inFlight; some not yet in `pending`), those waiting for a turn, snapshots.
    let snapshots = 0;
    for (const p of this.pending.values()) if (!p.frame) snapshots++;
    const open = this.inFlight + this.waiting.length + snapshots;
    this.detectWorker.terminate();
    this.renderWorker?.terminate();
    this.detectWorker = null;
    this.renderWorker = null;
    this.failAll(err);
    this.onCrash();
    if (!open) this.onError(err);
  }

  private failAll(err: FaceReshapeError): void {
    for (const w of this.waiting.splice(0)) w.reject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.inFlight = 0;
  }
}

/** The worker's first answer: 'ready', or the error that kept it from starting. */
function ready<T>(worker: Worker, which: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMsg = (e: MessageEvent<{ type: string; id?: number; error?: WorkerError }>) => {
      const m = e.data;
      if (m.type === 'ready') resolve(m as T);
      else if (m.type === 'error' && m.id === undefined) reject(fromWorker(m.error!));
      else return;
      worker.removeEventListener('message', onMsg);
    };
    worker.addEventListener('message', onMsg);
    worker.addEventListener('error', (e) => reject(new FaceReshapeError('INTERNAL', `The ${which} worker failed to start: ${e.message}`)), { once: true });
  });
}

/**
 * A transferable copy of the frame for the workers, taken when called. The bitmap keeps
 * createImageBitmap's default options: the workers draw it into a 2D canvas as the main thread
 * draws the source itself, and premultiplyAlpha: 'none' would cost a CPU pass per frame (about
 * 9 ms at 640×480 on SwiftShader, against 1 ms).
 */
async function transferableFrame(source: VideoSource, timestampMs: number): Promise<VideoFrame | ImageBitmap> {
  if (typeof VideoFrame !== 'undefined') {
    if (source instanceof VideoFrame) return source.clone();
    if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) {
      return new VideoFrame(source, { timestamp: Math.round(timestampMs * 1000) });
    }
  }
  return createImageBitmap(source as ImageBitmapSource);
}
