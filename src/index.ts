/// <reference types="@webgpu/types" preserve="true" />
export { FaceReshapeError, isFaceReshapeError, type FaceReshapeErrorCode } from './errors.js';
export type { Face, HeadPose, Point3 } from './types.js';
export { LandmarkDetector, type LandmarkDetectorOptions, type DetectableSource } from './landmarks/detector.js';
export { FaceReshaper, type FaceReshaperOptions, type ReshapeOptions, type ReshapeResult, type Backend } from './reshaper.js';
export { type Edit, type EditRequest } from './shapes/edits.js';
export { SHAPE_NAMES, shapeId, shapeName, type ShapeName } from './shapes/names.js';
export { type OutputKind } from './image/encode.js';
export { type ReshapeSource } from './image/decode.js';
export { VideoReshaper, type VideoReshaperOptions, type VideoFrameInfo, type FrameStats, type VideoSource, type VideoBackend, type UploadPath, type PresentPath } from './video/video-reshaper.js';
export { OneEuroFilter, ONE_EURO_DEFAULTS, type OneEuroOptions } from './video/one-euro.js';
export { FaceTracker, type FaceTrackerOptions, type TrackedFace } from './video/tracker.js';
