/**
 * The frame worker: runs detection, smoothing and the warp for a VideoReshaper created with
 * `worker: true`, drawing into the page's canvas through an OffscreenCanvas
 * (transferControlToOffscreen). The page posts frames (VideoFrame or ImageBitmap, transferred)
 * one at a time and drops frames while one is in flight.
 */
import { FaceReshapeError } from '../errors';
import type { Face } from '../types';
import { FramePipeline } from '../video/pipeline';
import type { FromWorker, ToWorker, WorkerError } from './protocol';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent<ToWorker>) => void): void;
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

let pipeline: FramePipeline | null = null;
let reportFaces = false;

function toError(e: unknown): WorkerError {
  if (e instanceof FaceReshapeError) return { code: e.code, message: e.message };
  return { code: 'SERVICE_INTERNAL_ERROR', message: e instanceof Error ? e.message : String(e) };
}

function copyFaces(faces: readonly Face[]): Face[] {
  return faces.map((f) => ({ landmarks: f.landmarks.map((p) => [p[0], p[1], p[2]] as Face['landmarks'][number]), box: [...f.box] as Face['box'], pose: { ...f.pose }, confidence: f.confidence }));
}

scope.addEventListener('message', async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'init':
      try {
        reportFaces = msg.reportFaces;
        pipeline = await FramePipeline.create(msg.canvas, msg.options);
        pipeline.setEdits(msg.edits);
        scope.postMessage({ type: 'ready', backend: pipeline.backend });
      } catch (err) {
        scope.postMessage({ type: 'error', error: toError(err) });
      }
      break;
    case 'frame':
      try {
        if (!pipeline) throw new FaceReshapeError('CLOSED', 'The frame worker is not initialised or was closed.');
        const stats = await pipeline.process(msg.frame, msg.timestampMs);
        scope.postMessage({ type: 'stats', id: msg.id, stats, faces: reportFaces ? copyFaces(pipeline.faces) : undefined });
      } catch (err) {
        scope.postMessage({ type: 'error', id: msg.id, error: toError(err) });
      } finally {
        msg.frame.close();
      }
      break;
    case 'edits':
      pipeline?.setEdits(msg.edits);
      break;
    case 'smoothing':
      pipeline?.setSmoothing(msg.value);
      break;
    case 'snapshot':
      try {
        if (!pipeline) throw new FaceReshapeError('CLOSED', 'The frame worker is not initialised or was closed.');
        const image = await pipeline.snapshot();
        scope.postMessage({ type: 'snapshot', id: msg.id, image }, [image.data.buffer]);
      } catch (err) {
        scope.postMessage({ type: 'error', id: msg.id, error: toError(err) });
      }
      break;
    case 'close':
      pipeline?.close();
      pipeline = null;
      scope.close();
      break;
  }
});
