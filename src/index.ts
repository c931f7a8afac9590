export { FaceReshapeError, isFaceReshapeError, type FaceReshapeErrorCode } from './errors';
export type { Face, HeadPose, Point3 } from './types';
export { LandmarkDetector, type LandmarkDetectorOptions, type DetectableSource } from './landmarks/detector';
export { FaceReshaper, type FaceReshaperOptions, type ReshapeOptions, type ReshapeResult, type Backend } from './reshaper';
export { type Edit, type EditRequest } from './edits';
export { SHAPE_NAMES, shapeId, shapeName, type ShapeName } from './shapes/names';
export { type OutputKind } from './output/encode';
export { type ReshapeSource } from './input/source';
export {
  facialAesthetics,
  runFacialAesthetics,
  sharedReshaper,
  closeSharedReshaper,
  type FacialAestheticsOptions,
  type RunFacialAestheticsOptions,
  type RunFacialAestheticsResult,
} from './compat/facial-aesthetics';
export { type FacialAestheticsEnvelope, COMPAT_CODES, COMPAT_STATUS, type CompatCode } from './compat/envelope';
export { type FacialAestheticsRequest } from './compat/params';
export { VideoReshaper, type VideoReshaperOptions, type VideoFrameInfo, type FrameStats, type VideoSource, type VideoBackend, type UploadPath, type PresentPath } from './video/video-reshaper';
export { OneEuroFilter, ONE_EURO_DEFAULTS, type OneEuroOptions } from './video/one-euro';
export { FaceTracker, type FaceTrackerOptions, type TrackedFace } from './video/tracker';
export { installCloudRoute, CLOUD_URL, type CloudRoute, type CloudRouteOptions } from './compat/cloud-route';
