// Internal modules re-exported for the browser test bed and the bench. Not part of the public API.
export * from './landmarks/detector';
export * from './landmarks/tiling';
export * from './landmarks/merge';
export * from './warp/device';
export * from './warp/gpu';
export * from './warp/yardstick';
export * from './output/upload';
export * from './output/readback';
export * from './output/bitmap';
export * from './warp/cpu';
export { sampleRegion } from './field/types';
export * from './input/sniff';
export * from './input/header';
export * from './input/validate';
export * from './compat/envelope';
export * from './compat/params';
export { FramePipeline } from './video/pipeline';
