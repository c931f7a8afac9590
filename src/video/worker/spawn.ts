// Loaded on demand (dynamic import) so the inlined worker bundle is fetched only by apps that use it.
import FrameWorker from './entry?worker&inline';

/** A new frame worker (src/worker/entry.ts, bundled with its dependencies, started from a blob URL). */
export function spawnFrameWorker(): Worker {
  return new FrameWorker({ name: 'face-reshape frames' });
}
