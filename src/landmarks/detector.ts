import { FaceLandmarker, type FaceLandmarkerResult, type NormalizedLandmark } from '@mediapipe/tasks-vision';
import { FaceReshapeError } from '../errors.js';
import { diagnoseAssets, modelUrlOf, requireSimd, wasmFilesetOf, type AssetOptions } from './assets.js';
import { GlWatch } from './gl-watch.js';
import { sizeOf, type DecodedSource } from '../types.js';
import type { Face } from '../types.js';
import { landmarkBox } from './box.js';
import { mergeFaces } from './merge.js';
import { poseFromMatrix } from './pose.js';
import { planTiles, type TilePlanOptions, type TileRect } from './tiling.js';

export type DetectableSource = DecodedSource;

export interface LandmarkDetectorOptions extends AssetOptions {
  delegate?: 'CPU' | 'GPU';
  runningMode?: 'IMAGE' | 'VIDEO';
  /** Most faces returned per image (default 4). */
  maxFaces?: number;
  minDetectionConfidence?: number;
  minPresenceConfidence?: number;
  /**
   * Detection threshold for the tile pass (default 0.6). Stricter than the full-image pass: tiles
   * show the detector many small, busy patches, and at 0.5 a rocket's exhaust passed for a face.
   */
  tileMinDetectionConfidence?: number;
  /**
   * Second detection pass over overlapping tiles for small faces (IMAGE mode only).
   * 'auto' (default) tiles when the image is large enough for faces to be missed, unless it is a
   * portrait (a face found at least a quarter of the shorter side wide); tile options
   * (`{ minFaceSize, tileToFace, maxTiles }`) always tile; 'off' never.
   */
  tiling?: 'auto' | 'off' | TilePlanOptions;
}

/** A tasks-vision FaceLandmarker and the watch on its WebGL canvas. */
interface Watched {
  lm: FaceLandmarker;
  watch: GlWatch;
}

/**
 * Owns one tasks-vision FaceLandmarker (a wasm instance) and turns its output into pixel-space
 * faces. A landmarker whose WebGL context was lost is never trusted: detect() rebuilds it and asks
 * again, detectForVideo() throws DETECTOR_LOST for the caller to `restore()`.
 */
export class LandmarkDetector {
  /** Null after close(), or while a lost landmarker could not be rebuilt (the next call tries again). */
  private main: Watched | null;
  private closedByCaller = false;
  private readonly maxFaces: number;
  private readonly tiling: 'off' | TilePlanOptions;
  /** 'auto' skips the tile pass for portraits (see needsTiles); explicit tile options always tile. */
  private readonly tilingAuto: boolean;
  private readonly mode: 'IMAGE' | 'VIDEO';
  private tileCanvas: OffscreenCanvas | null = null;
  /** detectForVideo()'s faces, rewritten in place every frame. */
  private readonly videoFaces: Face[] = [];
  /** Tiles examined by the last detect() call (0 when tiling did not run). */
  lastTileCount = 0;

  private readonly options: LandmarkDetectorOptions;
  /** A second landmarker with the stricter tile threshold, made on first need. */
  private tileLandmarker: Promise<Watched> | null = null;

  private constructor(main: Watched, opts: LandmarkDetectorOptions) {
    this.main = main;
    this.options = opts;
    this.maxFaces = opts.maxFaces ?? 4;
    this.mode = opts.runningMode ?? 'IMAGE';
    this.tiling = opts.tiling === 'off' ? 'off' : typeof opts.tiling === 'object' ? opts.tiling : {};
    this.tilingAuto = opts.tiling === undefined || opts.tiling === 'auto';
  }

  static async create(opts: LandmarkDetectorOptions = {}): Promise<LandmarkDetector> {
    const maxFaces = opts.maxFaces ?? 4;
    if (!Number.isInteger(maxFaces) || maxFaces < 1) {
      throw new FaceReshapeError('INVALID_ARGUMENT', `maxFaces must be a positive integer, got ${String(opts.maxFaces)}.`);
    }
    return new LandmarkDetector(await createLandmarker(opts, opts.minDetectionConfidence ?? 0.5), opts);
  }

  /**
   * Faces in an IMAGE-mode source, pixel coordinates of the source as drawn (upright). Async only
   * because the tile pass's landmarker is created on first need, and a lost one is rebuilt.
   */
  async detect(source: DetectableSource): Promise<Face[]> {
    try {
      return await this.detectImage(source);
    } catch (e) {
      if (!(e instanceof FaceReshapeError) || e.code !== 'DETECTOR_LOST') throw e;
      await this.restore();
      return this.detectImage(source);
    }
  }

  /**
   * VIDEO mode; timestamps must increase monotonically (ms). Frame after frame the same Face
   * objects and landmark arrays are rewritten (no per-frame allocation): the result is valid until
   * the next call, so copy what you keep. Throws DETECTOR_LOST when the landmarker's WebGL context
   * is gone: `await restore()`, then call again.
   */
  detectForVideo(source: DetectableSource, timestampMs: number): Face[] {
    const main = this.open();
    if (this.mode !== 'VIDEO') throw new FaceReshapeError('INTERNAL', 'detectForVideo() needs runningMode VIDEO.');
    const { width, height } = sizeOf(source);
    const result = trusted(main, () => main.lm.detectForVideo(source, timestampMs));
    return toFaces(result, width, height, { x: 0, y: 0, w: width, h: height }, this.videoFaces);
  }

  /**
   * Replaces the landmarkers with fresh ones (new wasm instances on new WebGL contexts), as after a
   * GPU-process crash. Throws DETECTOR_LOST when that is not possible now.
   */
  async restore(): Promise<void> {
    if (this.closedByCaller) throw closedError();
    const old = this.main;
    const oldTile = this.tileLandmarker;
    this.tileLandmarker = null;
    closeQuietly(old);
    void oldTile?.then(closeQuietly, () => undefined);
    try {
      this.main = await createLandmarker(this.options, this.options.minDetectionConfidence ?? 0.5);
    } catch (e) {
      this.main = null;
      throw new FaceReshapeError('DETECTOR_LOST',
        `The face detector lost its WebGL context (the browser's GPU process crashed or was reset) and could not be rebuilt: ${errorText(e)}. Create a new reshaper and try again.`,
        { cause: e },
      );
    }
  }

  close(): void {
    this.closedByCaller = true;
    closeQuietly(this.main);
    this.main = null;
    void this.tileLandmarker?.then(closeQuietly, () => undefined);
    this.tileLandmarker = null;
    this.tileCanvas = null;
  }

  get closed(): boolean {
    return this.closedByCaller;
  }

  private async detectImage(source: DetectableSource): Promise<Face[]> {
    const main = this.open();
    if (this.mode !== 'IMAGE') throw new FaceReshapeError('INTERNAL', 'detect() needs runningMode IMAGE; use detectForVideo() for VIDEO mode.');
    const { width, height } = sizeOf(source);
    let faces = toFaces(
      trusted(main, () => main.lm.detect(source)),
      width,
      height,
      { x: 0, y: 0, w: width, h: height },
    );
    this.lastTileCount = 0;
    const tiles = this.tiling !== 'off' && faces.length < this.maxFaces && (!this.tilingAuto || !isPortrait(faces, width, height)) ? planTiles(width, height, this.tiling) : [];
    if (tiles.length) {
      this.tileLandmarker ??= createLandmarker(this.options, this.options.tileMinDetectionConfidence ?? 0.6);
      const tileLm = await this.tileLandmarker;
      this.open();
      this.lastTileCount = tiles.length;
      faces = mergeFaces(faces, this.detectTiles(tileLm, source, tiles));
    }
    return faces.slice(0, this.maxFaces);
  }

  private open(): Watched {
    if (this.closedByCaller) throw closedError();
    if (!this.main) throw new FaceReshapeError('DETECTOR_LOST', 'The face detector lost its WebGL context and is not rebuilt yet; it is tried again on the next call.');
    return this.main;
  }

  private detectTiles(tileLm: Watched, source: DetectableSource, tiles: TileRect[]): Face[] {
    const found: Array<{ face: Face; margin: number }> = [];
    for (const t of tiles) {
      if (!this.tileCanvas || this.tileCanvas.width !== t.w || this.tileCanvas.height !== t.h) this.tileCanvas = new OffscreenCanvas(t.w, t.h);
      const ctx = this.tileCanvas.getContext('2d', { willReadFrequently: false })!;
      ctx.clearRect(0, 0, t.w, t.h);
      drawSource(ctx, source, t);
      const tile = this.tileCanvas;
      for (const face of toFaces(trusted(tileLm, () => tileLm.lm.detect(tile)), t.w, t.h, t)) {
        found.push({ face, margin: edgeMargin(face.box, t) });
      }
    }
    // A face seen whole (far from its tile's edges) beats the same face cut by a tile border.
    found.sort((a, b) => b.margin - a.margin);
    return mergeFaces([], found.filter((f) => f.margin > 0.02).map((f) => f.face));
  }
}

/**
 * A landmarker's answer, only if its WebGL context was alive before and after the call: a lost
 * context makes tasks-vision answer "no faces" (or fail) instead of throwing.
 */
function trusted<T>(w: Watched, call: () => T): T {
  const lost = () =>
    new FaceReshapeError('DETECTOR_LOST', "The face detector's WebGL context was lost (the browser's GPU process crashed or was reset); its answer cannot be trusted.");
  if (w.watch.lost) throw lost();
  let result: T;
  try {
    result = call();
  } catch (e) {
    if (w.watch.lost) throw lost();
    throw e;
  }
  if (w.watch.lost) throw lost();
  return result;
}

function closedError(): FaceReshapeError {
  return new FaceReshapeError('CLOSED', 'This detector was closed; create a new one.');
}

function closeQuietly(w: Watched | null): void {
  try {
    w?.lm.close();
  } catch {
    // A landmarker on a lost context may fail to free its GL objects; its wasm memory goes with it.
  }
}

/** One tasks-vision FaceLandmarker (its own wasm instance) with our options, on a watched canvas. */
async function createLandmarker(opts: LandmarkDetectorOptions, minDetectionConfidence: number): Promise<Watched> {
  await requireSimd();
  const model = modelUrlOf(opts);
  const watch = new GlWatch();
  try {
    const lm = await FaceLandmarker.createFromOptions(wasmFilesetOf(opts), {
      baseOptions: {
        ...(model === null ? { modelAssetBuffer: opts.modelAssetBuffer } : { modelAssetPath: model }),
        delegate: opts.delegate ?? 'CPU',
      },
      canvas: watch.canvas,
      runningMode: opts.runningMode ?? 'IMAGE',
      numFaces: opts.maxFaces ?? 4,
      minFaceDetectionConfidence: minDetectionConfidence,
      minFacePresenceConfidence: opts.minPresenceConfidence ?? 0.5,
      outputFacialTransformationMatrixes: true,
      outputFaceBlendshapes: false,
    });
    return { lm, watch };
  } catch (e) {
    // tasks-vision reports a missing script as "[object Event]" and a page served for the model as
    // a zip error with a C++ trace: ask the URLs what they are instead.
    const found = await diagnoseAssets(opts);
    throw new FaceReshapeError('MODEL_LOAD_FAILED',
      found
        ? `Could not load the face model: ${found}.`
        : `Could not load the face model from ${model ?? 'the given modelAssetBuffer'}: ${errorText(e)}. Pass a valid Face Landmarker .task bundle (modelAssetPath or modelAssetBuffer).`,
      { cause: e },
    );
  }
}

/**
 * A face at least a quarter of the shorter side wide makes the photo a portrait: small faces
 * beside it are background, and 'auto' tiling (9–35 extra detector runs) would cost every
 * portrait hundreds of milliseconds for nothing.
 */
function isPortrait(faces: readonly Face[], width: number, height: number): boolean {
  const side = Math.min(width, height);
  return faces.some((f) => f.box[2] - f.box[0] >= 0.25 * side);
}

function drawSource(ctx: OffscreenCanvasRenderingContext2D, source: DetectableSource, t: TileRect): void {
  if (source instanceof ImageData) ctx.putImageData(source, -t.x, -t.y, t.x, t.y, t.w, t.h);
  else ctx.drawImage(source as CanvasImageSource, t.x, t.y, t.w, t.h, 0, 0, t.w, t.h);
}

/** Distance of the box from the tile's border, relative to the box size. */
function edgeMargin(box: Face['box'], t: TileRect): number {
  const size = Math.max(box[2] - box[0], box[3] - box[1], 1);
  const m = Math.min(box[0] - t.x, box[1] - t.y, t.x + t.w - box[2], t.y + t.h - box[3]);
  return m / size;
}

/**
 * Converts tasks-vision's normalized output (relative to `frame`, of size w×h) into image pixels.
 * With `into`, its Face objects and landmark arrays are rewritten instead of allocated, and `into`
 * itself (resized to the face count) is returned.
 */
function toFaces(result: FaceLandmarkerResult, w: number, h: number, frame: TileRect, into?: Face[]): Face[] {
  const out = into ?? [];
  const n = result.faceLandmarks.length;
  for (let i = 0; i < n; i++) {
    const lms: NormalizedLandmark[] = result.faceLandmarks[i];
    const face: Face = out[i] ?? { landmarks: [], box: [0, 0, 0, 0], pose: { yaw: 0, pitch: 0, roll: 0 } };
    out[i] = face;
    const landmarks = face.landmarks;
    landmarks.length = lms.length;
    for (let k = 0; k < lms.length; k++) {
      const p = landmarks[k] ?? (landmarks[k] = [0, 0, 0]);
      p[0] = lms[k].x * w + frame.x;
      p[1] = lms[k].y * h + frame.y;
      p[2] = lms[k].z * w;
    }
    landmarkBox(landmarks, face.box);
    const matrix = result.facialTransformationMatrixes?.[i]?.data;
    face.pose = matrix ? poseFromMatrix(matrix) : { yaw: 0, pitch: 0, roll: 0 };
  }
  out.length = n;
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
