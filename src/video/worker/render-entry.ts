/**
 * The render worker of worker mode: owns the page canvas's OffscreenCanvas and the renderer
 * (RenderStage), warps each frame the detect worker hands over, in order, and answers the page
 * with the frame's figures. The field's array goes back to the detect worker for reuse.
 */
import { FaceReshapeError } from '../../errors.js';
import { RenderStage } from '../render-stage.js';
import { toWorkerError } from './error.js';
import type { DetectToRender, FromRender, RenderToDetect, ToRender } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromRender, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent<ToRender>) => void): void;
  close(): void;
}
const scope = self as unknown as WorkerScope;

let stage: RenderStage | null = null;
let port: MessagePort | null = null;
/** Frames and snapshots one after the other, in the order they arrive. */
let queue: Promise<void> = Promise.resolve();

function closedError(): FaceReshapeError {
  return new FaceReshapeError('CLOSED', 'The video reshaper was closed.');
}

async function renderOne(m: DetectToRender): Promise<void> {
  try {
    if (!stage) throw closedError();
    const stats = await stage.render(m.frame, m.detection);
    scope.postMessage({ type: 'stats', id: m.id, stats, faces: m.faces });
  } catch (err) {
    scope.postMessage({ type: 'error', id: m.id, error: toWorkerError(err) });
  } finally {
    m.frame.close();
    const buffer = 'data' in m.detection.warp ? (m.detection.warp.data.buffer as ArrayBuffer) : undefined;
    const back: RenderToDetect = { type: 'rendered', buffer };
    port?.postMessage(back, buffer ? [buffer] : []);
  }
}

async function snapshot(id: number): Promise<void> {
  try {
    if (!stage) throw closedError();
    const image = await stage.snapshot();
    scope.postMessage({ type: 'snapshot', id, image }, [image.data.buffer]);
  } catch (err) {
    scope.postMessage({ type: 'error', id, error: toWorkerError(err) });
  }
}

scope.addEventListener('message', async (e: MessageEvent<ToRender>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'init':
      try {
        stage = await RenderStage.create(msg.canvas, msg.options);
        port = msg.port;
        port.onmessage = (ev: MessageEvent<DetectToRender>) => {
          const m = ev.data;
          queue = queue.then(() => renderOne(m));
        };
        scope.postMessage({ type: 'ready', backend: stage.backend, fieldOnGpu: stage.fieldOnGpu });
      } catch (err) {
        scope.postMessage({ type: 'error', error: toWorkerError(err) });
      }
      break;
    case 'snapshot':
      queue = queue.then(() => snapshot(msg.id));
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
