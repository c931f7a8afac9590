/** One view per texture, made on first use (the video path binds the same textures every frame). */
const views = new WeakMap<GPUTexture, GPUTextureView>();

export function viewOf(texture: GPUTexture): GPUTextureView {
  let view = views.get(texture);
  if (!view) {
    view = texture.createView({ label: `view of ${texture.label || 'a texture'}` });
    views.set(texture, view);
  }
  return view;
}
