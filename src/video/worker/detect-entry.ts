/**
 * The detect worker of worker mode: landmarks, smoothing and field (DetectStage) for each frame the
 * page posts, then the frame and its field go on, transferred, to the render worker over their
 * MessageChannel. While the render worker warps frame n, this worker detects frame n+1.
 */
import { FaceReshapeError } from '../../errors.js';
import { DetectStage } from '../detect-stage.js';
import { FieldBufferPool } from '../field-pool.js';
import { copyFaces } from '../tracker.js';
import { toWorkerError } from './error.js';
import type { DetectToRender, FromDetect, RenderToDetect, ToDetect } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromDetect, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent<ToDetect>) => void): void;
  close(): void;
  import?: (url: string) => Promise<unknown>;
}
const scope = self as unknown as WorkerScope;

// tasks-vision loads its wasm glue with importScripts(), which module workers lack; it then calls
// self.import(url). The glue is a classic script declaring a global `ModuleFactory`: load it as a
// module that publishes that global.
scope.import ??= async (url: string) => {
  const text = await (await fetch(url)).text();
  const blobUrl = URL.createObjectURL(new Blob([`${text}\n;globalThis.ModuleFactory = ModuleFactory;`], { type: 'text/javascript' }));
  try {
    await import(/* @vite-ignore */ blobUrl);
  } finally {
    URL.revokeObjectURL(blobUrl);
  }
};

let stage: DetectStage | null = null;
let port: MessagePort | null = null;
const pool = new FieldBufferPool();
let fieldOnGpu = false;
let reportFaces = false;
/** Frames handed to the render worker that it has not reported warped yet. */
let rendering = 0;
/** One frame after the other (the page admits one at a time; this keeps the order regardless). */
let queue: Promise<void> = Promise.resolve();

function onRendered(m: RenderToDetect): void {
  rendering--;
  if (m.buffer) pool.giveBack(m.buffer);
}

async function detectOne(msg: Extract<ToDetect, { type: 'frame' }>): Promise<void> {
  const { frame, id } = msg;
  try {
    if (!stage || !port) throw new FaceReshapeError('CLOSED', 'The video reshaper was closed.');
    const overlapped = rendering > 0;
    const detection = await stage.detect(frame, msg.timestampMs, fieldOnGpu);
    detection.overlapped = overlapped;
    const transfer: Transferable[] = [frame];
    if ('data' in detection.warp) transfer.push(detection.warp.data.buffer);
    const out: DetectToRender = { type: 'frame', id, frame, detection, faces: reportFaces ? copyFaces(stage.faces) : undefined };
    port.postMessage(out, transfer);
    rendering++;
  } catch (err) {
    frame.close();
    scope.postMessage({ type: 'error', id, error: toWorkerError(err) });
  }
}

scope.addEventListener('message', async (e: MessageEvent<ToDetect>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'init':
      try {
        reportFaces = msg.reportFaces;
        port = msg.port;
        port.onmessage = (ev: MessageEvent<RenderToDetect>) => onRendered(ev.data);
        stage = await DetectStage.create(msg.options, pool);
        stage.setEdits(msg.edits);
        scope.postMessage({ type: 'ready' });
      } catch (err) {
        scope.postMessage({ type: 'error', error: toWorkerError(err) });
      }
      break;
    case 'renderer':
      fieldOnGpu = msg.fieldOnGpu;
      break;
    case 'frame':
      queue = queue.then(() => detectOne(msg));
      break;
    // In turn with the frames: a frame called before the change keeps the edits it was called with.
    case 'edits':
      queue = queue.then(() => stage?.setEdits(msg.edits));
      break;
    case 'smoothing':
      queue = queue.then(() => stage?.setSmoothing(msg.value));
      break;
    case 'close':
      stage?.close();
      stage = null;
      port?.close();
      port = null;
      scope.close();
      break;
  }
});
