export { FaceReshapeError, isFaceReshapeError, type FaceReshapeErrorCode } from './errors';
export type { Face, HeadPose, Point3 } from './types';
export { LandmarkDetector, type LandmarkDetectorOptions, type DetectableSource } from './landmarks/detector';
