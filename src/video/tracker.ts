import type { Face, HeadPose, Point3 } from '../types.js';
import { OneEuroFilter, type OneEuroOptions } from './one-euro.js';
import { boxIou, landmarkBox } from '../landmarks/box.js';

/** Copies of faces (the tracker rewrites its own every frame), for callers that keep them. */
export function copyFaces(faces: readonly Face[]): Face[] {
  return faces.map((f) => ({ landmarks: f.landmarks.map((p) => [p[0], p[1], p[2]] as Point3), box: [...f.box] as Face['box'], pose: { ...f.pose }, confidence: f.confidence }));
}

export interface FaceTrackerOptions extends OneEuroOptions {
  /** Most faces tracked at once (default 4). */
  maxFaces?: number;
  /** Smallest box IoU for a detection to continue a track (default 0.3). */
  iouThreshold?: number;
  /** Frames a track survives without a matching detection before it is forgotten (default 5). Missing tracks are not reported. */
  maxMissed?: number;
  /** A track unseen for longer than this (seconds) restarts its filter instead of smoothing across the gap (default 0.5). */
  maxGapSeconds?: number;
  /** false: landmarks pass through unfiltered (identity still tracked). Default true. */
  smoothing?: boolean;
}

/** A face seen in this frame: smoothed landmarks, box of those landmarks, and a stable `id`. */
export interface TrackedFace extends Face {
  /** Stable across frames while the face stays in view (box overlap from frame to frame). */
  readonly id: number;
}

const POINTS = 478;

interface Track {
  id: number;
  live: boolean;
  missed: number;
  lastT: number;
  filter: OneEuroFilter;
  poseFilter: OneEuroFilter;
  raw: Float64Array;
  smooth: Float64Array;
  pose3: Float64Array;
  /** The face object handed out; its arrays are rewritten every frame (no allocation). */
  face: { id: number; landmarks: Point3[]; box: [number, number, number, number]; pose: HeadPose; confidence: number };
}

/**
 * Keeps face identity across video frames by box overlap (greedy, best IoU first) and smooths
 * each face's landmarks (and head pose) with its own One Euro filter. All state is allocated up
 * front for `maxFaces` tracks; update() allocates nothing.
 */
export class FaceTracker {
  readonly maxFaces: number;
  private readonly tracks: Track[];
  private readonly out: TrackedFace[] = [];
  private readonly detUsed: Uint8Array;
  private readonly trackUsed: Uint8Array;
  private iouThreshold: number;
  private maxMissed: number;
  private maxGap: number;
  private smoothing: boolean;
  private nextId = 1;

  constructor(options: FaceTrackerOptions = {}) {
    this.maxFaces = options.maxFaces ?? 4;
    this.iouThreshold = options.iouThreshold ?? 0.3;
    this.maxMissed = options.maxMissed ?? 5;
    this.maxGap = options.maxGapSeconds ?? 0.5;
    this.smoothing = options.smoothing ?? true;
    this.detUsed = new Uint8Array(64);
    this.trackUsed = new Uint8Array(this.maxFaces);
    this.tracks = [];
    for (let k = 0; k < this.maxFaces; k++) {
      const landmarks: Point3[] = [];
      for (let i = 0; i < POINTS; i++) landmarks.push([0, 0, 0]);
      this.tracks.push({
        id: 0,
        live: false,
        missed: 0,
        lastT: -Infinity,
        filter: new OneEuroFilter(POINTS * 3, options),
        poseFilter: new OneEuroFilter(3, options),
        raw: new Float64Array(POINTS * 3),
        smooth: new Float64Array(POINTS * 3),
        pose3: new Float64Array(3),
        face: { id: 0, landmarks, box: [0, 0, 0, 0], pose: { yaw: 0, pitch: 0, roll: 0 }, confidence: NaN },
      });
    }
  }

  /** Changes smoothing parameters (and on/off) of every track from the next frame on. */
  setOptions(options: Omit<FaceTrackerOptions, 'maxFaces'>): void {
    if (options.iouThreshold !== undefined) this.iouThreshold = options.iouThreshold;
    if (options.maxMissed !== undefined) this.maxMissed = options.maxMissed;
    if (options.maxGapSeconds !== undefined) this.maxGap = options.maxGapSeconds;
    if (options.smoothing !== undefined) this.smoothing = options.smoothing;
    for (const t of this.tracks) {
      t.filter.setOptions(options);
      t.poseFilter.setOptions(options);
    }
  }

  /** Forgets every track (e.g. when the video source changes). */
  reset(): void {
    for (const t of this.tracks) t.live = false;
    this.out.length = 0;
  }

  /**
   * Feeds the detections of one frame taken at `t` seconds. Returns the faces seen in this frame
   * (smoothed), in a reused array whose face objects are rewritten by the next call.
   */
  update(detections: readonly Face[], t: number): readonly TrackedFace[] {
    const nd = Math.min(detections.length, this.detUsed.length);
    const detUsed = this.detUsed;
    const trackUsed = this.trackUsed;
    detUsed.fill(0, 0, nd);
    trackUsed.fill(0);
    const out = this.out;
    out.length = 0;

    // Greedy matching: repeatedly take the best remaining (track, detection) pair above threshold.
    for (;;) {
      let best = this.iouThreshold;
      let bt = -1;
      let bd = -1;
      for (let k = 0; k < this.tracks.length; k++) {
        const tr = this.tracks[k];
        if (!tr.live || trackUsed[k]) continue;
        for (let d = 0; d < nd; d++) {
          if (detUsed[d]) continue;
          const v = boxIou(tr.face.box, detections[d].box);
          if (v >= best) {
            best = v;
            bt = k;
            bd = d;
          }
        }
      }
      if (bt < 0) break;
      trackUsed[bt] = 1;
      detUsed[bd] = 1;
      const tr = this.tracks[bt];
      if (t - tr.lastT > this.maxGap) {
        tr.filter.reset();
        tr.poseFilter.reset();
      }
      this.feed(tr, detections[bd], t);
    }
    // New faces take free tracks (or the longest-missing ones).
    for (let d = 0; d < nd; d++) {
      if (detUsed[d]) continue;
      let slot = -1;
      for (let k = 0; k < this.tracks.length; k++) {
        if (trackUsed[k]) continue;
        const tr = this.tracks[k];
        if (!tr.live) {
          slot = k;
          break;
        }
        if (slot < 0 || tr.missed > this.tracks[slot].missed) slot = k;
      }
      if (slot < 0) break; // more faces than maxFaces
      const tr = this.tracks[slot];
      trackUsed[slot] = 1;
      tr.live = true;
      tr.id = this.nextId++;
      tr.face.id = tr.id;
      tr.filter.reset();
      tr.poseFilter.reset();
      this.feed(tr, detections[d], t);
    }
    // Unmatched tracks age out; tracks seen this frame are reported in detection-independent, stable order.
    for (let k = 0; k < this.tracks.length; k++) {
      const tr = this.tracks[k];
      if (!tr.live) continue;
      if (trackUsed[k]) {
        tr.missed = 0;
        out.push(tr.face);
      } else if (++tr.missed > this.maxMissed) {
        tr.live = false;
      }
    }
    return out;
  }

  private feed(tr: Track, det: Face, t: number): void {
    const raw = tr.raw;
    const lms = det.landmarks;
    const n = Math.min(lms.length, POINTS);
    for (let i = 0; i < n; i++) {
      const p = lms[i];
      raw[i * 3] = p[0];
      raw[i * 3 + 1] = p[1];
      raw[i * 3 + 2] = p[2];
    }
    const scale = Math.max(1, det.box[2] - det.box[0]);
    const pose = tr.pose3;
    pose[0] = det.pose.yaw;
    pose[1] = det.pose.pitch;
    pose[2] = det.pose.roll;
    if (this.smoothing) {
      tr.filter.filter(raw, tr.smooth, t, scale);
      // Pose in degrees: 90° is a "face width" of rotation for the speed term.
      tr.poseFilter.filter(pose, pose, t, 90);
    } else {
      tr.smooth.set(raw);
      tr.filter.reset();
      tr.poseFilter.reset();
    }
    tr.lastT = t;
    const s = tr.smooth;
    const f = tr.face;
    for (let i = 0; i < n; i++) {
      const q = f.landmarks[i];
      q[0] = s[i * 3];
      q[1] = s[i * 3 + 1];
      q[2] = s[i * 3 + 2];
    }
    landmarkBox(f.landmarks, f.box, n);
    f.pose.yaw = pose[0];
    f.pose.pitch = pose[1];
    f.pose.roll = pose[2];
    f.confidence = det.confidence;
  }
}
