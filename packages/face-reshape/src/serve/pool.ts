import type { Page } from 'puppeteer';
import { errorEnvelope, type Edit, type FacialAestheticsEnvelope } from 'webgpu-face-reshape/compat';
import { startRuntime, type Runtime } from '../node/runtime.js';

/**
 * A small pool of headless-Chromium pages, each holding one FaceReshaper, in front of a bounded
 * FIFO queue. `submit` hands a job to an idle page or queues it; with `maxQueue` jobs already
 * waiting it throws QueueFullError at once (the server answers 503). A job that runs past
 * `jobTimeoutMs`, or whose page crashed, gets a 500 envelope and its page is replaced by a fresh one.
 */

export interface PoolJob {
  /** The encoded image, checked in Node already. */
  image: Buffer;
  shape_type?: string | string[];
  strength?: string | string[];
  edits: Edit[];
}

export interface PoolResult {
  envelope: FacialAestheticsEnvelope;
  output?: Buffer;
  type?: 'image/png' | 'image/jpeg';
  width?: number;
  height?: number;
  faces?: number;
}

export interface PagePoolOptions {
  /** Pages (reshapers) working in parallel; default 2. */
  size?: number;
  /** Jobs that may wait for a page; default 16. */
  maxQueue?: number;
  /** Longest a job may run in its page, ms; default 120 s (SwiftShader is slow on big images). */
  jobTimeoutMs?: number;
  backend?: 'webgpu' | 'cpu';
  /** A Face Landmarker .task bundle instead of the built-in one. */
  modelAssetBuffer?: Buffer;
  /** Called once with a warning (e.g. WebGPU missing → CPU warp). */
  onWarning?: (message: string) => void;
}

export class QueueFullError extends Error {
  constructor(readonly queued: number) {
    super(`All pages are busy and ${queued} requests are already waiting.`);
  }
}

interface Slot {
  page: Page | null;
  busy: boolean;
  /** Replacing a crashed or timed-out page. */
  replacing: Promise<void> | null;
}

interface Waiting {
  job: PoolJob;
  resolve: (r: PoolResult) => void;
}

interface PageConfig {
  backend: 'webgpu' | 'cpu';
  model: string | null;
}

export class PagePool {
  readonly size: number;
  readonly maxQueue: number;
  readonly jobTimeoutMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Waiting[] = [];
  private readonly config: PageConfig;
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;
  private warned = false;
  /** Jobs finished since start (for stats). */
  completed = 0;

  private constructor(
    private readonly runtime: Runtime,
    private readonly options: PagePoolOptions,
  ) {
    this.size = Math.max(1, options.size ?? 2);
    this.maxQueue = Math.max(0, options.maxQueue ?? 16);
    this.jobTimeoutMs = options.jobTimeoutMs ?? 120_000;
    this.config = { backend: options.backend ?? 'webgpu', model: options.modelAssetBuffer ? options.modelAssetBuffer.toString('base64') : null };
  }

  /** Starts Chromium and opens `size` pages, each with its reshaper ready (model loaded, GPU device open). */
  static async start(options: PagePoolOptions = {}): Promise<PagePool> {
    const runtime = await startRuntime({ assets: 'intercept' });
    const pool = new PagePool(runtime, options);
    try {
      for (let i = 0; i < pool.size; i++) pool.slots.push({ page: await pool.openPage(), busy: false, replacing: null });
    } catch (e) {
      await runtime.close();
      throw e;
    }
    return pool;
  }

  /** Jobs running and waiting. */
  get stats(): { running: number; queued: number; size: number; maxQueue: number; completed: number } {
    return { running: this.slots.filter((s) => s.busy).length, queued: this.queue.length, size: this.size, maxQueue: this.maxQueue, completed: this.completed };
  }

  /** True when a new job would be refused. */
  get full(): boolean {
    return this.queue.length >= this.maxQueue && !this.slots.some((s) => !s.busy && s.page && !s.replacing);
  }

  /** Runs the job in a page; never rejects except with QueueFullError (failures come back as 500 envelopes). */
  submit(job: PoolJob): Promise<PoolResult> {
    if (this.closed) return Promise.resolve(internalError('The server is shutting down.'));
    const slot = this.idleSlot();
    if (slot) return this.runOn(slot, job);
    if (this.queue.length >= this.maxQueue) return Promise.reject(new QueueFullError(this.queue.length));
    const queued = new Promise<PoolResult>((resolve) => this.queue.push({ job, resolve }));
    // Every page lost and none being replaced: try to open one again.
    const dead = this.slots.find((s) => !s.page && !s.replacing && !s.busy);
    if (dead) this.pump(dead);
    return queued;
  }

  /** Resolves once no job runs or waits. */
  idle(): Promise<void> {
    if (!this.queue.length && !this.slots.some((s) => s.busy)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Closes the pages and Chromium (call `idle()` first to let jobs finish). */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.resolve(internalError('The server shut down before this request ran.'));
    await this.runtime.close();
  }

  private idleSlot(): Slot | undefined {
    return this.slots.find((s) => !s.busy && s.page && !s.replacing);
  }

  private async runOn(slot: Slot, job: PoolJob): Promise<PoolResult> {
    slot.busy = true;
    let result: PoolResult;
    let broken = false;
    try {
      const r = await withTimeout(
        slot.page!.evaluate(serveJobInPage, job.image.toString('base64'), { shape_type: job.shape_type, strength: job.strength, edits: job.edits }),
        this.jobTimeoutMs,
      );
      if (r === TIMEOUT) {
        broken = true;
        result = internalError(`Reshaping took longer than ${Math.round(this.jobTimeoutMs / 1000)} s and was stopped; the page was restarted. Retry with a smaller image.`);
      } else {
        result = { envelope: r.envelope, width: r.width, height: r.height, faces: r.faces, type: r.type };
        if (r.output !== undefined) result.output = Buffer.from(r.output, 'base64');
      }
    } catch (e) {
      broken = true; // the page crashed or was closed under the job
      result = internalError(`The reshaping page failed (${(e as Error)?.message ?? e}); it was restarted. Retry the request.`);
    }
    this.completed++;
    if (broken && !this.closed) {
      const old = slot.page;
      slot.page = null;
      slot.replacing = (async () => {
        void old?.close().catch(() => {});
        try {
          slot.page = await this.openPage();
        } catch {
          slot.page = null; // tried again on the next failure-free cycle below
        }
      })().finally(() => {
        slot.replacing = null;
        slot.busy = false;
        this.pump(slot);
      });
    } else {
      slot.busy = false;
      this.pump(slot);
    }
    return result;
  }

  /** Gives the slot the next waiting job, or signals idleness. */
  private pump(slot: Slot): void {
    if (this.closed) return;
    if (!slot.page) {
      // Replacement failed: try once more before failing waiting jobs.
      slot.replacing = this.openPage()
        .then((p) => void (slot.page = p))
        .catch(() => {
          for (const w of this.queue.splice(0)) w.resolve(internalError('Chromium could not open a page to reshape in.'));
        })
        .finally(() => {
          slot.replacing = null;
          if (slot.page) this.pump(slot);
          else this.notifyIdle();
        });
      return;
    }
    const next = this.queue.shift();
    if (next) void this.runOn(slot, next.job).then(next.resolve);
    else this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.queue.length || this.slots.some((s) => s.busy)) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }

  private async openPage(): Promise<Page> {
    const { page } = await this.runtime.newPage();
    const warning = await page.evaluate(warmPage, this.config);
    if (warning && 'error' in warning) {
      await page.close().catch(() => {});
      throw new Error(`The reshaper could not start in Chromium: ${warning.error}`);
    }
    if (warning?.warning && !this.warned) {
      this.warned = true;
      this.options.onWarning?.(warning.warning);
    }
    return page;
  }
}

const TIMEOUT = Symbol('timeout');

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<typeof TIMEOUT>((r) => (timer = setTimeout(() => r(TIMEOUT), ms)))]).finally(() => clearTimeout(timer));
}

function internalError(message: string): PoolResult {
  return { envelope: errorEnvelope('SERVICE_INTERNAL_ERROR', message) };
}

/** Runs in the page (self-contained): creates the page's reshaper, falling back to the CPU warp without WebGPU. */
async function warmPage(config: PageConfig): Promise<{ warning?: string } | { error: string } | null> {
  const w = window as unknown as { lib: any; __serveReshaper?: any };
  try {
    const modelAssetBuffer = config.model ? Uint8Array.from(atob(config.model), (c) => c.charCodeAt(0)) : undefined;
    const opts = { maxFaces: 4, modelAssetBuffer };
    try {
      w.__serveReshaper = await w.lib.FaceReshaper.create({ ...opts, backend: config.backend });
      return null;
    } catch (e: any) {
      if (config.backend !== 'webgpu' || e?.code !== 'WEBGPU_UNAVAILABLE') throw e;
      w.__serveReshaper = await w.lib.FaceReshaper.create({ ...opts, backend: 'cpu' });
      return { warning: `${e.message} Falling back to the CPU warp.` };
    }
  } catch (e: any) {
    return { error: `${e?.code ? e.code + ': ' : ''}${e?.message ?? String(e)}` };
  }
}

/** Runs in the page (self-contained): the compat call on the page's reshaper; bytes travel as base64. */
async function serveJobInPage(
  b64: string,
  req: { shape_type?: string | string[]; strength?: string | string[]; edits: Edit[] },
): Promise<{ envelope: FacialAestheticsEnvelope; output?: string; type?: 'image/png' | 'image/jpeg'; width?: number; height?: number; faces?: number }> {
  const w = window as unknown as { lib: any; compat: any; __serveReshaper: any };
  try {
    const image = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const fields: Record<string, unknown> = { image };
    if (req.shape_type !== undefined) fields.shape_type = req.shape_type;
    if (req.strength !== undefined) fields.strength = req.strength;
    const res = await w.compat.runFacialAesthetics(fields, { reshaper: w.__serveReshaper, edits: req.edits });
    if (!res.output) return { envelope: res.envelope };
    const buf = new Uint8Array(await res.output.arrayBuffer());
    let bin = '';
    for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return { envelope: res.envelope, output: btoa(bin), type: res.output.type, width: res.width, height: res.height, faces: res.faces.length };
  } catch (e) {
    return { envelope: w.compat.envelopeFromError(e) };
  }
}
