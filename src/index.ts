export { FaceReshapeError, isFaceReshapeError, type FaceReshapeErrorCode } from './errors';
export type { Face, HeadPose, Point3 } from './types';
export { LandmarkDetector, type LandmarkDetectorOptions, type DetectableSource } from './landmarks/detector';
export { FaceReshaper, type FaceReshaperOptions, type ReshapeOptions, type ReshapeResult, type Backend } from './reshaper';
export { type Edit, type EditRequest } from './edits';
export { SHAPE_NAMES, shapeId, shapeName, type ShapeName } from './shapes/names';
export { type OutputKind } from './output/encode';
export { type ReshapeSource } from './input/source';
