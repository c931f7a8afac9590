/// <reference types="@webgpu/types" preserve="true" />
// The native API. The cloud-compatible API is the `webgpu-face-reshape/compat` entry.
export { FaceReshapeError, isFaceReshapeError, ERROR_CODES, type FaceReshapeErrorCode } from './errors.js';
export type { Backend, Face, HeadPose, Point3 } from './types.js';
export { FaceReshaper, type FaceReshaperOptions, type ReshapeOptions, type ReshapeResult } from './reshaper.js';
export type { ReshapeTimings } from './timings.js';
export { VideoReshaper, type VideoReshaperOptions, type VideoFrameInfo, type FrameStats, type VideoSource } from './video/video-reshaper.js';
export { LandmarkDetector, type LandmarkDetectorOptions, type DetectableSource } from './landmarks/detector.js';
export type { WasmFileset } from './landmarks/assets.js';
export type { TilePlanOptions } from './landmarks/tiling.js';
export { SHAPE_NAMES, shapeId, shapeName, type ShapeName } from './shapes/names.js';
export type { Edit, EditRequest } from './shapes/edits.js';
export type { FieldBuild } from './field/gpu-build.js';
export type { OutputKind, OutputOf } from './image/encode.js';
export type { ReshapeSource } from './image/decode.js';
