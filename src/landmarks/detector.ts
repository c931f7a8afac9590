import { FaceLandmarker, type FaceLandmarkerResult, type NormalizedLandmark } from '@mediapipe/tasks-vision';
import { FaceReshapeError } from '../errors.js';
import { diagnoseAssets, modelUrlOf, requireSimd, wasmFilesetOf, type AssetOptions } from './assets.js';
import { DEFAULT_MIN_FACE_CONFIDENCE, SECOND_LOOK_SCALE, SECOND_LOOK_SIDE, faceConfidence, passes, sameFace } from './acceptance.js';
import { GlWatch } from './gl-watch.js';
import { preload, withModuleHook, type Preload } from './preload.js';
import { sizeOf, type DecodedSource } from '../types.js';
import type { Face } from '../types.js';
import { landmarkBox } from './box.js';
import { mergeFaces } from './merge.js';
import { poseFromMatrix } from './pose.js';
import { cropAround, planTiles, type TilePlanOptions, type TileRect } from './tiling.js';

export type DetectableSource = DecodedSource;

export interface LandmarkDetectorOptions extends AssetOptions {
  delegate?: 'CPU' | 'GPU';
  runningMode?: 'IMAGE' | 'VIDEO';
  /** Most faces returned per image (default 4). */
  maxFaces?: number;
  minDetectionConfidence?: number;
  /** The task's own presence gate (default 0.5), applied before `minFaceConfidence`. */
  minPresenceConfidence?: number;
  /**
   * Lowest face score (`Face.confidence`, in [0, 1]) a face needs to be returned (default 0.65,
   * chosen from the precision/recall curve in test/data/detection/README.md). Lower finds more
   * faces that are small or strongly turned, and more faces where there are none; higher the
   * reverse. Faces of a bundle that reports no score (Google's official one) are not filtered.
   * In IMAGE mode every face must also pass a second look (src/landmarks/acceptance.ts): found again,
   * in the same place, in a crop three times its size.
   */
  minFaceConfidence?: number;
  /**
   * Detection threshold for the tile pass (default 0.6). Stricter than the full-image pass: tiles
   * show the detector many small, busy patches, and at 0.5 a rocket's exhaust passed for a face.
   */
  tileMinDetectionConfidence?: number;
  /**
   * Second detection pass over overlapping tiles for small faces (IMAGE mode only); its faces are
   * scored and looked at again like the full image's.
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
  private readonly minConfidence: number;
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
  /** The compiled wasm and the model's bytes, kept for the tile landmarker and for rebuilds after a loss. */
  private readonly assets: Preload;
  /**
   * Where create() spent its time, in ms: compiling the wasm (while it downloads) and fetching the
   * model, which run at the same time, then instantiating the wasm and building the landmarker's
   * graph (NaN where a file was left to tasks-vision to load).
   */
  readonly loadTimings: { wasmCompileMs: number; modelFetchMs: number; graphInitMs: number };
  /** A second landmarker (tile pass, second looks) with the stricter tile threshold, made on first need. */
  private tileLandmarker: Promise<Watched> | null = null;

  private constructor(main: Watched, opts: LandmarkDetectorOptions, assets: Preload, graphInitMs: number) {
    this.main = main;
    this.options = opts;
    this.assets = assets;
    this.loadTimings = { wasmCompileMs: assets.moduleDone - assets.started, modelFetchMs: assets.modelDone - assets.started, graphInitMs };
    this.maxFaces = opts.maxFaces ?? 4;
    this.minConfidence = opts.minFaceConfidence ?? DEFAULT_MIN_FACE_CONFIDENCE;
    this.mode = opts.runningMode ?? 'IMAGE';
    this.tiling = opts.tiling === 'off' ? 'off' : typeof opts.tiling === 'object' ? opts.tiling : {};
    this.tilingAuto = opts.tiling === undefined || opts.tiling === 'auto';
  }

  static async create(opts: LandmarkDetectorOptions = {}): Promise<LandmarkDetector> {
    const maxFaces = opts.maxFaces ?? 4;
    if (!Number.isInteger(maxFaces) || maxFaces < 1) {
      throw new FaceReshapeError('INVALID_ARGUMENT', `maxFaces must be a positive integer, got ${String(opts.maxFaces)}.`);
    }
    const minFace = opts.minFaceConfidence ?? DEFAULT_MIN_FACE_CONFIDENCE;
    if (typeof minFace !== 'number' || !(minFace >= 0 && minFace <= 1)) {
      throw new FaceReshapeError('OUT_OF_RANGE', `minFaceConfidence must be a number in [0, 1], got ${String(opts.minFaceConfidence)}.`);
    }
    const assets = preload(wasmFilesetOf(opts).wasmBinaryPath, modelUrlOf(opts));
    const main = await createLandmarker(opts, opts.minDetectionConfidence ?? 0.5, assets);
    const detector = new LandmarkDetector(main.watched, opts, assets, main.graphInitMs);
    // IMAGE mode: the second looks need the second landmarker on the first detect() of any
    // non-square photo; it is built from here on, while the caller decodes its image, not then.
    if (detector.mode === 'IMAGE') detector.startSecondLandmarker();
    return detector;
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
    const faces = toFaces(result, width, height, { x: 0, y: 0, w: width, h: height }, this.videoFaces);
    // Drop the faces that fail in place, keeping the array (and its Face objects) for the next frame.
    let kept = 0;
    for (const f of faces) if (passes(f, this.minConfidence)) [faces[kept++]] = [f];
    faces.length = kept;
    return faces;
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
      this.main = (await createLandmarker(this.options, this.options.minDetectionConfidence ?? 0.5, this.assets)).watched;
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
    const whole = { x: 0, y: 0, w: width, h: height };
    const found = toFaces(trusted(main, () => main.lm.detect(source)), width, height, whole).filter((f) => passes(f, this.minConfidence));
    let faces = await this.confirmed(source, found, width, height);
    this.lastTileCount = 0;
    const tiles = this.tiling !== 'off' && faces.length < this.maxFaces && (!this.tilingAuto || !isPortrait(faces, width, height)) ? planTiles(width, height, this.tiling) : [];
    if (tiles.length) {
      const tileLm = await this.secondLandmarker();
      this.lastTileCount = tiles.length;
      const fresh = mergeFaces(faces, this.detectTiles(tileLm, source, tiles)).slice(faces.length);
      faces = faces.concat(await this.confirmed(source, fresh, width, height));
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
      for (const face of this.detectIn(tileLm, source, t)) {
        if (passes(face, this.minConfidence)) found.push({ face, margin: edgeMargin(face.box, t) });
      }
    }
    // A face seen whole (far from its tile's edges) beats the same face cut by a tile border.
    found.sort((a, b) => b.margin - a.margin);
    return mergeFaces([], found.filter((f) => f.margin > 0.02).map((f) => f.face));
  }

  /**
   * The candidates that a second look confirms (acceptance.ts): found again, landmarks in place, in
   * a crop around them. Where that crop is the whole image the second look would repeat the first
   * exactly, so it is skipped. A confirmed face keeps its first landmarks and score.
   */
  private async confirmed(source: DetectableSource, candidates: Face[], width: number, height: number): Promise<Face[]> {
    if (!candidates.length) return candidates;
    // ImageData cannot be drawn scaled: look at a bitmap of it.
    const drawable = source instanceof ImageData ? await createImageBitmap(source) : source;
    try {
      const out: Face[] = [];
      for (const face of candidates) {
        const crop = cropAround(face.box, width, height, SECOND_LOOK_SCALE);
        if ((crop.w === width && crop.h === height) || sameFace(face, this.detectIn(await this.secondLandmarker(), drawable, crop, SECOND_LOOK_SIDE))) out.push(face);
      }
      return out;
    } finally {
      if (drawable !== source) (drawable as ImageBitmap).close();
    }
  }

  /**
   * The landmarker of the tile pass and the second looks (started by create() in IMAGE mode,
   * else on first need; from the same compiled wasm and model bytes). Not the main one:
   * a landmarker fed images of another size between two full images re-allocates its buffers for
   * each, which tripled detect() on a 1080p photo (73 → 230–320 ms on SwiftShader).
   */
  private async secondLandmarker(): Promise<Watched> {
    this.startSecondLandmarker();
    const lm = (await this.tileLandmarker)!;
    this.open();
    return lm;
  }

  private startSecondLandmarker(): void {
    if (this.tileLandmarker) return;
    this.tileLandmarker = createLandmarker(this.options, this.options.tileMinDetectionConfidence ?? 0.6, this.assets).then((c) => c.watched);
    // Awaited (and its failure reported) by the detect() that needs it; until then not unhandled.
    this.tileLandmarker.catch(() => undefined);
  }

  /**
   * Faces in the rect `t` of the source, in source pixels. The rect is drawn `side` px square if
   * given (it is square then; not for ImageData), else at its own size.
   */
  private detectIn(lm: Watched, source: DetectableSource, t: TileRect, side?: number): Face[] {
    const w = side ?? t.w;
    const h = side ?? t.h;
    if (!this.tileCanvas || this.tileCanvas.width !== w || this.tileCanvas.height !== h) this.tileCanvas = new OffscreenCanvas(w, h);
    const canvas = this.tileCanvas;
    const ctx = canvas.getContext('2d', { willReadFrequently: false })!;
    ctx.clearRect(0, 0, w, h);
    drawSource(ctx, source, t, w, h);
    // Landmarks come back relative to the canvas, i.e. to `t`, whatever its drawn size.
    return toFaces(trusted(lm, () => lm.lm.detect(canvas)), t.w, t.h, t);
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

/**
 * One tasks-vision FaceLandmarker (its own wasm instance) with our options, on a watched canvas,
 * from the preloaded wasm module and model bytes where those loaded (preload.ts), else from their
 * URLs as tasks-vision loads them. `graphInitMs`: from both being ready to the landmarker built.
 */
async function createLandmarker(opts: LandmarkDetectorOptions, minDetectionConfidence: number, assets: Preload): Promise<{ watched: Watched; graphInitMs: number }> {
  await requireSimd();
  const modelUrl = modelUrlOf(opts);
  const files = wasmFilesetOf(opts);
  const [module, modelBlob] = await Promise.all([assets.module, assets.model]);
  const t0 = performance.now();
  const watch = new GlWatch();
  const make = (model: { modelAssetPath: string } | { modelAssetBuffer: Uint8Array | undefined }) =>
    withModuleHook(module, files.wasmBinaryPath, () =>
      FaceLandmarker.createFromOptions(files, {
        baseOptions: { ...model, delegate: opts.delegate ?? 'CPU' },
        canvas: watch.canvas,
        runningMode: opts.runningMode ?? 'IMAGE',
        numFaces: opts.maxFaces ?? 4,
        minFaceDetectionConfidence: minDetectionConfidence,
        minFacePresenceConfidence: opts.minPresenceConfidence ?? 0.5,
        outputFacialTransformationMatrixes: true,
        outputFaceBlendshapes: false,
      }),
    );
  try {
    let lm: FaceLandmarker;
    if (modelUrl === null) {
      lm = await make({ modelAssetBuffer: opts.modelAssetBuffer });
    } else if (modelBlob) {
      // The fetched file by an object URL; a page whose CSP refuses blob: URLs gets the file's own URL.
      const local = URL.createObjectURL(modelBlob);
      try {
        lm = await make({ modelAssetPath: local }).catch(() => make({ modelAssetPath: modelUrl }));
      } finally {
        URL.revokeObjectURL(local);
      }
    } else {
      lm = await make({ modelAssetPath: modelUrl });
    }
    return { watched: { lm, watch }, graphInitMs: performance.now() - t0 };
  } catch (e) {
    // tasks-vision reports a missing script as "[object Event]" and a page served for the model as
    // a zip error with a C++ trace: ask the URLs what they are instead.
    const found = await diagnoseAssets(opts);
    throw new FaceReshapeError('MODEL_LOAD_FAILED',
      found
        ? `Could not load the face model: ${found}.`
        : `Could not load the face model from ${modelUrl ?? 'the given modelAssetBuffer'}: ${errorText(e)}. Pass a valid Face Landmarker .task bundle (modelAssetPath or modelAssetBuffer).`,
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

/** Draws the rect `t` of the source into the canvas at w×h (ImageData: only at its own size). */
function drawSource(ctx: OffscreenCanvasRenderingContext2D, source: DetectableSource, t: TileRect, w: number, h: number): void {
  if (source instanceof ImageData) ctx.putImageData(source, -t.x, -t.y, t.x, t.y, t.w, t.h);
  else ctx.drawImage(source as CanvasImageSource, t.x, t.y, t.w, t.h, 0, 0, w, h);
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
    const face: Face = out[i] ?? { landmarks: [], box: [0, 0, 0, 0], pose: { yaw: 0, pitch: 0, roll: 0 }, confidence: NaN };
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
    face.confidence = faceConfidence(lms);
  }
  out.length = n;
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
