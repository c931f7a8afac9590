import { FaceReshapeError, type FaceReshapeErrorCode } from '../errors.js';
import type { NormalizedEdit } from '../shapes/edits.js';
import type { Backend, Face } from '../types.js';
import type { OneEuroOptions } from './one-euro.js';
import type { FrameStats, PipelineOptions, VideoSource } from './pipeline.js';
import type { FromWorker, ToWorker } from './worker/protocol.js';

/**
 * FramePipeline's interface, run in a Web Worker (src/video/worker/entry.ts) that draws into the
 * page's canvas through an OffscreenCanvas. Frames travel transferred (a VideoFrame, else an
 * ImageBitmap); each call waits for its own answer.
 */
export class FrameWorkerClient {
  faces: readonly Face[] = [];
  private worker: Worker | null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: never) => void; reject: (e: FaceReshapeError) => void }>();

  private constructor(
    worker: Worker,
    readonly backend: Backend,
    private readonly onError: (e: FaceReshapeError) => void,
  ) {
    this.worker = worker;
    worker.addEventListener('message', (e: MessageEvent<FromWorker>) => this.onMessage(e.data));
  }

  /**
   * Starts the worker, moves the canvas's control to it and creates its pipeline. The options'
   * asset URLs must be absolute (the worker runs from a blob: URL). `onError` gets failures that
   * belong to no call.
   */
  static async create(
    canvas: HTMLCanvasElement,
    options: Omit<PipelineOptions, 'beforeSmoothing'>,
    edits: NormalizedEdit[],
    reportFaces: boolean,
    onError: (e: FaceReshapeError) => void,
  ): Promise<FrameWorkerClient> {
    if (typeof canvas.transferControlToOffscreen !== 'function' || typeof Worker === 'undefined') {
      throw new FaceReshapeError('INTERNAL', 'worker: true needs Web Workers and HTMLCanvasElement.transferControlToOffscreen().');
    }
    const { spawnFrameWorker } = await import('./worker/spawn.js');
    const worker = spawnFrameWorker();
    try {
      const offscreen = canvas.transferControlToOffscreen();
      const backend = await new Promise<Backend>((resolve, reject) => {
        const onMsg = (e: MessageEvent<FromWorker>) => {
          const m = e.data;
          if (m.type === 'ready') resolve(m.backend);
          else if (m.type === 'error' && m.id === undefined) reject(new FaceReshapeError(m.error.code as FaceReshapeErrorCode, m.error.message));
          else return;
          worker.removeEventListener('message', onMsg);
        };
        worker.addEventListener('message', onMsg);
        worker.addEventListener('error', (e) => reject(new FaceReshapeError('INTERNAL', `The frame worker failed to start: ${e.message}`)), { once: true });
        const msg: ToWorker = { type: 'init', canvas: offscreen, options, edits, reportFaces };
        worker.postMessage(msg, [offscreen]);
      });
      return new FrameWorkerClient(worker, backend, onError);
    } catch (e) {
      worker.terminate();
      throw e;
    }
  }

  /** Renders one frame in the worker; the caller's source is left alone (a copy is transferred). */
  async process(source: VideoSource, timestampMs: number): Promise<FrameStats> {
    const frame = await transferableFrame(source, timestampMs);
    return this.request<FrameStats>({ type: 'frame', id: this.nextId++, frame, timestampMs }, [frame]);
  }

  setEdits(edits: NormalizedEdit[]): void {
    this.post({ type: 'edits', edits });
  }

  setSmoothing(value: boolean | OneEuroOptions): void {
    this.post({ type: 'smoothing', value });
  }

  snapshot(): Promise<ImageData> {
    return this.request<ImageData>({ type: 'snapshot', id: this.nextId++ });
  }

  /** The worker reports a lost device as an error of the frame it happened in. */
  get deviceLost(): boolean {
    return false;
  }

  /** Asks the worker to free everything, and ends it a moment later in any case. Idempotent. */
  close(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    w.postMessage({ type: 'close' } satisfies ToWorker);
    setTimeout(() => w.terminate(), 1000);
    for (const p of this.pending.values()) p.reject(new FaceReshapeError('CLOSED', 'The video reshaper was closed.'));
    this.pending.clear();
  }

  private request<T>(msg: ToWorker & { id: number }, transfer: Transferable[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(msg.id, { resolve: resolve as (v: never) => void, reject });
      this.post(msg, transfer);
    });
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    if (!this.worker) throw new FaceReshapeError('CLOSED', 'This VideoReshaper was closed; create a new one.');
    this.worker.postMessage(msg, transfer);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') return;
    const p = m.id === undefined ? undefined : this.pending.get(m.id);
    if (m.id !== undefined) this.pending.delete(m.id);
    if (m.type === 'error') {
      const err = new FaceReshapeError(m.error.code as FaceReshapeErrorCode, m.error.message);
      if (p) p.reject(err);
      else this.onError(err);
      return;
    }
    if (!p) return;
    if (m.type === 'stats') {
      this.faces = m.faces ?? [];
      (p.resolve as (v: FrameStats) => void)(m.stats);
    } else if (m.type === 'snapshot') (p.resolve as (v: ImageData) => void)(m.image);
  }
}

/** A transferable copy of the frame for the worker. */
async function transferableFrame(source: VideoSource, timestampMs: number): Promise<VideoFrame | ImageBitmap> {
  if (typeof VideoFrame !== 'undefined') {
    if (source instanceof VideoFrame) return source.clone();
    if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) {
      return new VideoFrame(source, { timestamp: Math.round(timestampMs * 1000) });
    }
  }
  return createImageBitmap(source as ImageBitmapSource, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
}
