/**
 * The landmarker's two big downloads, started together as soon as a detector is created: the
 * wasm module, compiled while it streams in, and the model's bytes. tasks-vision alone fetches
 * and compiles the wasm after loading its loader script, and fetches the model only once the wasm
 * runs; here the three overlap. Either may fail (a 404, a page's CSP, a wrong MIME type): it
 * then resolves null, and tasks-vision loads that file itself, failing (and being diagnosed) as
 * it always did.
 */

/** Compiled modules by URL: every landmarker of the page (main, tile pass, rebuilt after a loss) instantiates the same one. */
const modules = new Map<string, Promise<WebAssembly.Module | null>>();

export interface Preload {
  /** The compiled wasm, or null where it could not be compiled here. */
  module: Promise<WebAssembly.Module | null>;
  /**
   * The model file, fetched (null where it could not be fetched here, or where the caller gave
   * its bytes). A Blob, handed to tasks-vision by an object URL: given a modelAssetBuffer
   * instead, it copies the 5 MB through its options' protobuf, which made building the graph
   * take about twice as long (SwiftShader machine, 2 cores).
   */
  model: Promise<Blob | null>;
  /** When each finished, in performance.now() ms (NaN while pending or when it failed). */
  moduleDone: number;
  modelDone: number;
  readonly started: number;
}

export function preload(wasmBinaryPath: string, modelUrl: string | null): Preload {
  const p: Preload = {
    started: performance.now(),
    moduleDone: NaN,
    modelDone: NaN,
    module: compiledModule(wasmBinaryPath),
    model: modelUrl === null ? Promise.resolve(null) : fetchBlob(modelUrl),
  };
  void p.module.then((m) => m && (p.moduleDone = performance.now()));
  void p.model.then((b) => b && (p.modelDone = performance.now()));
  return p;
}

function compiledModule(url: string): Promise<WebAssembly.Module | null> {
  let m = modules.get(url);
  if (!m) {
    m = compile(url).catch(() => null);
    modules.set(url, m);
    // A failure is not kept: the next detector tries again.
    void m.then((mod) => mod || modules.delete(url));
  }
  return m;
}

async function compile(url: string): Promise<WebAssembly.Module | null> {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) return null;
  // Streaming compilation needs the wasm MIME type; a server that sends another gets a plain compile.
  if (/application\/wasm/i.test(res.headers.get('content-type') ?? '') && typeof WebAssembly.compileStreaming === 'function') return WebAssembly.compileStreaming(res);
  return WebAssembly.compile(await res.arrayBuffer());
}

async function fetchBlob(url: string): Promise<Blob | null> {
  try {
    const res = await fetch(url, { credentials: 'same-origin' });
    return res.ok ? await res.blob() : null;
  } catch {
    return null;
  }
}

/**
 * Emscripten's hook for a module compiled elsewhere: tasks-vision passes a global `Module`
 * object to its wasm loader's factory where one is set (and clears it after). Set it right before
 * FaceLandmarker.createFromOptions, one fresh object per landmarker (the factory adopts it as
 * that instance's Module), and with creations serialised (withModuleHook) so no two landmarkers
 * read each other's.
 */
function setModuleHook(module: WebAssembly.Module, url: string): void {
  (globalThis as { Module?: unknown }).Module = {
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      void WebAssembly.instantiate(module, imports).then(
        (instance) => done(instance, module),
        // Emscripten's promise waits for `done`: a module that does not fit the loader is instantiated from its URL instead.
        () => WebAssembly.instantiateStreaming(fetch(url), imports).then((r) => done(r.instance, r.module)),
      );
      return {};
    },
  };
}

let creating: Promise<unknown> = Promise.resolve();

/** Runs landmarker creations one at a time (they share the global `Module` hook); the hook never outlives its creation. */
export function withModuleHook<T>(module: WebAssembly.Module | null, url: string, create: () => Promise<T>): Promise<T> {
  const run = creating.then(async () => {
    if (module) setModuleHook(module, url);
    try {
      return await create();
    } finally {
      (globalThis as { Module?: unknown }).Module = undefined;
    }
  });
  creating = run.catch(() => undefined);
  return run;
}
