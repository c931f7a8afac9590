// Loaded on demand (dynamic import) so the inlined worker bundles are fetched only by apps that use them.
import DetectWorker from './detect-entry?worker&inline';
import RenderWorker from './render-entry?worker&inline';

/** A new detect worker (detect-entry.ts, bundled with its dependencies, started from a blob URL). */
export function spawnDetectWorker(): Worker {
  return new DetectWorker({ name: 'face-reshape detect' });
}

/** A new render worker (render-entry.ts, likewise). */
export function spawnRenderWorker(): Worker {
  return new RenderWorker({ name: 'face-reshape render' });
}
