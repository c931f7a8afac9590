import gridWgsl from '../../shaders/grid.wgsl?raw';
import warpCommonWgsl from '../../shaders/warp-common.wgsl?raw';

/** A warp form's shader with the preludes both forms share (the grid rule, the region record, the guard factor). */
export function warpShader(code: string): string {
  return [gridWgsl, warpCommonWgsl, code].join('\n');
}
