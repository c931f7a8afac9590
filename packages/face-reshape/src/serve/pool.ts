import { randomUUID } from 'node:crypto';
import type { CDPSession, Page } from 'puppeteer';
import { errorEnvelope, serverErrorEnvelope, type Edit, type FacialAestheticsEnvelope } from 'webgpu-face-reshape/compat';
import { GpuProcessWatch } from '../node/gpu-watch.js';
import { readPageBlob } from '../node/page-blob.js';
import { startRuntime, type Runtime, type RuntimePage } from '../node/runtime.js';

/**
 * A small pool of headless-Chromium pages, each holding one FaceReshaper, in front of a bounded
 * FIFO queue. `submit` hands a job to an idle page or queues it; with `maxQueue` jobs already
 * waiting it throws QueueFullError at once (the server answers 503).
 *
 * Faults, each answered at once and repaired:
 * - a job past `jobTimeoutMs` gets a 500 envelope and its page is replaced;
 * - a page whose renderer crashes or closes ('error' / 'close') fails its job with a 503
 *   SERVICE_BUSY (`retry: true`) and is replaced;
 * - when Chromium's GPU process dies, running and waiting jobs get that 503 at once; the pages stay
 *   (the library rebuilds its GPU device and landmark detector in each), and a page takes new jobs
 *   once the job it was running when the GPU process died has settled;
 * - when Chromium itself exits, every running and waiting job gets that 503, new jobs get it while
 *   Chromium is relaunched (backoff 0.5 s, 1 s, 2 s, … for `relaunchAttempts` tries), and if no
 *   relaunch works `onFatal` is called: the server then exits non-zero for its supervisor.
 * While no page is alive (every one crashed and being replaced) jobs are not queued but answered
 * with that 503, so that no client waits on a page that may take seconds to come back.
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
  /** A 503 the client should retry (a worker crashed or is being replaced): the server adds Retry-After. */
  retry?: true;
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
  /** Relaunches tried after Chromium exits before giving up (default 5: 0.5+1+2+4 s of backoff between them). */
  relaunchAttempts?: number;
  /** Chromium exited and could not be relaunched: the pool is dead (the server exits non-zero). */
  onFatal?: (error: Error) => void;
  /** Chromium exited, a page crashed, …: one line each (the server prints them). */
  onEvent?: (message: string) => void;
}

export class QueueFullError extends Error {
  constructor(readonly queued: number) {
    super(`All pages are busy and ${queued} requests are already waiting.`);
  }
}

/** A live page and the promise that settles when it dies (renderer crash, close, Chromium exit). */
interface Live {
  page: Page;
  /** Offers a job's image to the page (an intercepted response; runtime.ts). */
  offer: RuntimePage['offer'];
  /** The page's DevTools session that reads results (page-blob.ts). */
  cdp: CDPSession;
  died: Promise<string>;
}

interface Slot {
  index: number;
  live: Live | null;
  busy: boolean;
  /** Replacing a crashed or timed-out page. */
  replacing: Promise<void> | null;
  /** How long its last jobs took in the page, ms (the bench compares slots). */
  times: number[];
}

interface Waiting {
  job: PoolJob;
  resolve: (r: PoolResult) => void;
}

interface PageConfig {
  backend: 'webgpu' | 'cpu';
  /** Where the page fetches a custom model from (offered to it), or null for the built-in one. */
  model: string | null;
}

export class PagePool {
  readonly size: number;
  readonly maxQueue: number;
  readonly jobTimeoutMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Waiting[] = [];
  private readonly backend: 'webgpu' | 'cpu';
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;
  private warned = false;
  /** Set while Chromium is being relaunched. */
  private relaunching: Promise<void> | null = null;
  /** Dies with the current Chromium (settles on its 'disconnected'). */
  private browserGone!: Promise<string>;
  /** Settles when the current GPU process dies (a new promise for each GPU process). */
  private gpuGone!: Promise<typeof GPU_GONE>;
  private gpuWatch: GpuProcessWatch | null = null;
  /** Jobs finished since start (for stats). */
  completed = 0;
  /** Chromium relaunches and page replacements since start (for stats and tests). */
  restarts = { browser: 0, page: 0, gpu: 0 };

  private constructor(
    private runtime: Runtime,
    private readonly options: PagePoolOptions,
  ) {
    this.size = Math.max(1, options.size ?? 2);
    this.maxQueue = Math.max(0, options.maxQueue ?? 16);
    this.jobTimeoutMs = options.jobTimeoutMs ?? 120_000;
    this.backend = options.backend ?? 'webgpu';
    for (let i = 0; i < this.size; i++) this.slots.push({ index: i, live: null, busy: false, replacing: null, times: [] });
    this.watchBrowser();
  }

  /** Starts Chromium and opens `size` pages, each with its reshaper ready (model loaded, GPU device open). */
  static async start(options: PagePoolOptions = {}): Promise<PagePool> {
    const runtime = await launch();
    const pool = new PagePool(runtime, options);
    try {
      for (const slot of pool.slots) slot.live = await pool.openPage();
    } catch (e) {
      pool.closed = true;
      await runtime.close();
      throw e;
    }
    return pool;
  }

  /** Jobs running and waiting. */
  get stats(): { running: number; queued: number; size: number; maxQueue: number; completed: number; alive: number; restarts: { browser: number; page: number; gpu: number } } {
    return {
      running: this.slots.filter((s) => s.busy).length,
      queued: this.queue.length,
      size: this.size,
      maxQueue: this.maxQueue,
      completed: this.completed,
      alive: this.slots.filter((s) => s.live).length,
      restarts: { ...this.restarts },
    };
  }

  /** True when a new job would be refused. */
  get full(): boolean {
    return this.queue.length >= this.maxQueue && !this.idleSlot();
  }

  /** The live pages, slot by slot (null where one is being replaced): for checks such as every page being visible. */
  get pages(): Array<Page | null> {
    return this.slots.map((s) => s.live?.page ?? null);
  }

  /** Median time of each slot's recent successful jobs, ms (NaN for a slot without any): every slot should be as fast as the others. */
  get slotMedians(): number[] {
    return this.slots.map((s) => {
      const t = [...s.times].sort((a, b) => a - b);
      return t.length ? t[Math.floor(t.length / 2)] : NaN;
    });
  }

  /** Chromium's main process id (tests kill it; supervisors may watch it). */
  get browserPid(): number | undefined {
    return this.runtime.browser.process()?.pid;
  }

  /** Runs the job in a page; never rejects except with QueueFullError (failures come back as envelopes). */
  submit(job: PoolJob): Promise<PoolResult> {
    if (this.closed) return Promise.resolve(internalError('The server is shutting down.'));
    const slot = this.idleSlot();
    if (slot) return this.runOn(slot, job);
    if (!this.slots.some((s) => s.live)) return Promise.resolve(this.unavailable());
    if (this.queue.length >= this.maxQueue) return Promise.reject(new QueueFullError(this.queue.length));
    return new Promise<PoolResult>((resolve) => this.queue.push({ job, resolve }));
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
    await this.relaunching?.catch(() => {});
    this.gpuWatch?.stop();
    await this.runtime.close();
  }

  private idleSlot(): Slot | undefined {
    return this.slots.find((s) => !s.busy && s.live && !s.replacing);
  }

  private unavailable(): PoolResult {
    return {
      envelope: serverErrorEnvelope(
        'SERVICE_BUSY',
        this.relaunching
          ? 'Chromium, which runs the reshapers, exited and is being restarted; retry after the Retry-After delay.'
          : 'Every reshaping worker crashed and is being replaced; retry after the Retry-After delay.',
      ),
      retry: true,
    };
  }

  private async runOn(slot: Slot, job: PoolJob): Promise<PoolResult> {
    slot.busy = true;
    const live = slot.live!;
    let result: PoolResult;
    let broken = false;
    const started = performance.now();
    // The image reaches the page as an intercepted response to a per-job URL, and the result comes
    // back as a Blob read over CDP: no base64 built or parsed in JavaScript either way.
    const path = `/jobs/${randomUUID()}`;
    const withdraw = live.offer(path, job.image, 'application/octet-stream');
    const evaluation = (async () => {
      const r = await live.page.evaluate(serveJobInPage, path, { shape_type: job.shape_type, strength: job.strength, edits: job.edits });
      return { ...r, output: r.kept ? await readPageBlob(live.page, OUTPUT, live.cdp) : undefined };
    })();
    try {
      const r = await race(evaluation, this.jobTimeoutMs, live.died, this.gpuGone).finally(withdraw);
      if (r === TIMEOUT) {
        broken = true;
        result = internalError(`Reshaping took longer than ${Math.round(this.jobTimeoutMs / 1000)} s and was stopped; the page was restarted. Retry with a smaller image.`);
      } else if (r === GPU_GONE) {
        broken = true;
        result = this.crashed("Chromium's GPU process exited");
      } else if (typeof r === 'string') {
        broken = true;
        result = this.crashed(r);
      } else {
        result = { envelope: r.envelope, width: r.width, height: r.height, faces: r.faces, type: r.type };
        if (r.output !== undefined) result.output = r.output;
        if (r.envelope.error_code === 0) slot.times = [...slot.times.slice(-99), performance.now() - started];
      }
    } catch (e) {
      // The page crashed or closed under the job ("Target closed", …): the same as its 'error'/'close' event.
      broken = true;
      result = this.crashed((e as Error)?.message ?? String(e));
    }
    this.completed++;
    this.release(slot, live, broken);
    return result;
  }

  /** The slot's job is over: the page takes the next one, or is replaced when it broke. */
  private release(slot: Slot, live: Live, broken: boolean): void {
    slot.busy = false;
    if (broken && slot.live === live) this.replace(slot);
    else this.pump(slot);
  }

  private crashed(why: string): PoolResult {
    return {
      envelope: serverErrorEnvelope('SERVICE_BUSY', `A reshaping worker crashed (${why.slice(0, 120)}); it is being replaced or repaired. Retry after the Retry-After delay.`),
      retry: true,
    };
  }

  /** Drops the slot's page and opens a new one in the same Chromium (unless Chromium itself is being relaunched). */
  private replace(slot: Slot): void {
    const old = slot.live;
    slot.live = null;
    void old?.page.close().catch(() => {});
    if (this.closed || this.relaunching || slot.replacing) return;
    // Capacity just dropped: waiting jobs are answered now (503, retry) instead of waiting out the repair.
    this.flushQueue(this.slots.some((s) => s.live) ? this.crashed('a reshaping page crashed; fewer are working while it is replaced') : this.unavailable());
    slot.replacing = (async () => {
      for (let attempt = 0; attempt < 3 && !this.closed && !this.relaunching; attempt++) {
        try {
          const live = await this.openPage();
          if (this.closed || this.relaunching) {
            void live.page.close().catch(() => {});
            return;
          }
          slot.live = live;
          this.restarts.page++;
          this.options.onEvent?.(`page ${slot.index} replaced`);
          return;
        } catch (e) {
          this.options.onEvent?.(`page ${slot.index} could not be reopened: ${(e as Error).message}`);
          await sleep(500 * 2 ** attempt);
        }
      }
    })().finally(() => {
      slot.replacing = null;
      if (slot.live) this.pump(slot);
      else if (!this.slots.some((s) => s.live)) this.flushQueue();
      this.notifyIdle();
    });
  }

  /** Gives the slot the next waiting job, or signals idleness. */
  private pump(slot: Slot): void {
    if (this.closed || !slot.live || slot.busy || slot.replacing) return this.notifyIdle();
    const next = this.queue.shift();
    if (next) void this.runOn(slot, next.job).then(next.resolve);
    else this.notifyIdle();
  }

  /** No page is alive: waiting jobs are answered now (503, retry) rather than after a restart of unknown length. */
  private flushQueue(answer: PoolResult = this.unavailable()): void {
    for (const w of this.queue.splice(0)) w.resolve({ ...answer });
  }

  private notifyIdle(): void {
    if (this.queue.length || this.slots.some((s) => s.busy)) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }

  /** Watches the current Chromium: when it exits, every page is dead at once and Chromium is relaunched. */
  private watchBrowser(): void {
    const browser = this.runtime.browser;
    this.gpuWatch?.stop();
    this.armGpu();
    this.gpuWatch = new GpuProcessWatch(browser.process()?.pid, () => {
      if (this.closed || this.relaunching) return;
      this.restarts.gpu++;
      this.options.onEvent?.("Chromium's GPU process exited; answering the jobs in flight with 503 and replacing the pages");
      const fire = this.fireGpu;
      this.armGpu();
      fire(); // busy slots: their jobs are answered and their pages replaced (runOn)
      // Idle ones too: fresh pages get working GPU state sooner than the library's in-page rebuild
      // under load (which stays the recovery for browser tabs).
      for (const slot of this.slots) if (!slot.busy && slot.live && !slot.replacing) this.replace(slot);
      this.flushQueue(this.crashed("Chromium's GPU process exited before this request ran"));
    });
    this.browserGone = new Promise<string>((resolve) => browser.once('disconnected', () => resolve('Chromium exited')));
    void this.browserGone.then(() => {
      // A Chromium that dies during a relaunch is the relaunch loop's to retry.
      if (this.closed || this.relaunching || this.runtime.browser !== browser) return;
      this.options.onEvent?.('Chromium exited; relaunching it');
      for (const s of this.slots) s.live = null; // running jobs are answered through their page's `died`
      this.relaunching = this.relaunch().finally(() => (this.relaunching = null));
      this.flushQueue();
    });
  }

  private fireGpu: () => void = () => {};
  private armGpu(): void {
    this.gpuGone = new Promise<typeof GPU_GONE>((resolve) => (this.fireGpu = () => resolve(GPU_GONE)));
  }

  private async relaunch(): Promise<void> {
    const attempts = Math.max(1, this.options.relaunchAttempts ?? 5);
    let last: Error = new Error('not tried');
    for (let i = 0; i < attempts && !this.closed; i++) {
      if (i) await sleep(500 * 2 ** (i - 1));
      const old = this.runtime;
      old.browser.process()?.kill('SIGKILL'); // what is left of it (its children go with it)
      void old.close().catch(() => {});
      try {
        this.runtime = await launch();
        this.watchBrowser();
        // Pages open side by side; each slot works as soon as its page is ready.
        const opened = await Promise.allSettled(
          this.slots.map(async (slot) => {
            const live = await this.openPage();
            if (this.closed) return;
            slot.live = live;
            if (this.relaunching) this.relaunching = null; // the first page is up: jobs are taken again
            this.pump(slot);
          }),
        );
        if (this.closed) return;
        const failed = this.slots.filter((s) => !s.live);
        if (failed.length === this.size) throw (opened.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason;
        for (const s of failed) this.replace(s);
        this.restarts.browser++;
        this.options.onEvent?.(`Chromium relaunched (attempt ${i + 1})`);
        return;
      } catch (e) {
        last = e as Error;
        this.options.onEvent?.(`Chromium relaunch attempt ${i + 1} of ${attempts} failed: ${last.message}`);
      }
    }
    if (this.closed) return;
    this.closed = true;
    this.flushQueue();
    this.options.onFatal?.(new Error(`Chromium exited and could not be relaunched in ${attempts} attempts: ${last.message}`));
  }

  private async openPage(): Promise<Live> {
    const { page, offer } = await this.runtime.newPage();
    const died = Promise.race([
      new Promise<string>((resolve) => {
        page.once('error', (e: Error) => resolve(`page crashed: ${e?.message ?? e}`));
        page.once('close', () => resolve('page closed'));
      }),
      this.browserGone,
    ]);
    // An idle page that dies is replaced at once, not when the next job finds it dead.
    void died.then(() => {
      const slot = this.slots.find((s) => s.live?.page === page);
      if (slot && !slot.busy && !this.relaunching && !this.closed) {
        this.options.onEvent?.(`page ${slot.index} died while idle; replacing it`);
        this.replace(slot);
      }
    });
    const model = this.options.modelAssetBuffer ? `/jobs/model-${randomUUID()}` : null;
    const withdraw = model ? offer(model, this.options.modelAssetBuffer!, 'application/octet-stream') : () => {};
    let cdp: CDPSession;
    let warning: Awaited<ReturnType<typeof warmPage>>;
    try {
      warning = await page.evaluate(warmPage, { backend: this.backend, model });
      if (warning && 'error' in warning) throw new Error(`The reshaper could not start in Chromium: ${warning.error}`);
      cdp = await page.createCDPSession();
    } catch (e) {
      await page.close().catch(() => {});
      throw e;
    } finally {
      withdraw();
    }
    if (warning?.warning && !this.warned) {
      this.warned = true;
      this.options.onWarning?.(warning.warning);
    }
    return { page, offer, cdp, died };
  }
}

/** The pool's Chromium: pages get their files by interception (no port), and the server, not puppeteer, handles signals. */
function launch(): Promise<Runtime> {
  return startRuntime({ assets: 'intercept', handleSignals: false });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const TIMEOUT = Symbol('timeout');
const GPU_GONE = Symbol('gpu-gone');

/** The job's answer, TIMEOUT, GPU_GONE, or why its page died (a string), whichever comes first. */
function race<T extends object>(p: Promise<T>, ms: number, died: Promise<string>, gpuGone: Promise<typeof GPU_GONE>): Promise<T | typeof TIMEOUT | typeof GPU_GONE | string> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    died,
    gpuGone,
    new Promise<typeof TIMEOUT>((r) => (timer = setTimeout(() => r(TIMEOUT), ms))),
  ]).finally(() => clearTimeout(timer));
}

function internalError(message: string): PoolResult {
  return { envelope: errorEnvelope('SERVICE_INTERNAL_ERROR', message) };
}

/** Runs in the page (self-contained): creates the page's reshaper, falling back to the CPU warp without WebGPU. */
async function warmPage(config: PageConfig): Promise<{ warning?: string } | { error: string } | null> {
  const w = window as unknown as { lib: any; __serveReshaper?: any };
  try {
    let modelAssetBuffer: Uint8Array | undefined;
    if (config.model) {
      const got = await fetch(config.model);
      // A missing offer answers 404 "not found": never hand that body to the library as the model.
      if (!got.ok) throw new Error(`the custom model was not offered to this page (${config.model}: HTTP ${got.status})`);
      modelAssetBuffer = new Uint8Array(await got.arrayBuffer());
    }
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

/** Where serveJobInPage leaves the result Blob for Node to read (page-blob.ts). */
const OUTPUT = '__serveOutput';

/** Runs in the page (self-contained): fetches the job's image from `path`, runs the compat call on the page's reshaper, and leaves the result Blob on window.__serveOutput. */
async function serveJobInPage(
  path: string,
  req: { shape_type?: string | string[]; strength?: string | string[]; edits: Edit[] },
): Promise<{ envelope: FacialAestheticsEnvelope; kept?: true; type?: 'image/png' | 'image/jpeg'; width?: number; height?: number; faces?: number }> {
  const w = window as unknown as { lib: any; compat: any; __serveReshaper: any; __serveOutput?: Blob };
  try {
    const got = await fetch(path);
    if (!got.ok) throw new Error(`the job's image was not there (${got.status})`);
    const image = new Uint8Array(await got.arrayBuffer());
    const fields: Record<string, unknown> = { image };
    if (req.shape_type !== undefined) fields.shape_type = req.shape_type;
    if (req.strength !== undefined) fields.strength = req.strength;
    const res = await w.compat.runFacialAesthetics(fields, { reshaper: w.__serveReshaper, edits: req.edits });
    if (!res.output) return { envelope: res.envelope };
    w.__serveOutput = res.output; // the name is OUTPUT's; this function must stay self-contained
    return { envelope: res.envelope, kept: true, type: res.output.type, width: res.width, height: res.height, faces: res.faces.length };
  } catch (e) {
    return { envelope: w.compat.envelopeFromError(e) };
  }
}
