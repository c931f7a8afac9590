// The app every embedding test builds: what a user's app does with the library, and nothing more.
// `FaceReshaper.create()` takes no options: the model and the wasm must come from the package
// itself, through the app's bundler (or, unbundled, next to the library's own files).
import { FaceReshaper } from 'webgpu-face-reshape';

async function pixels(source, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width, height).data;
}

window.app = {
  /** FaceReshaper.create(options), with a failure reported as { code, message }. */
  async tryCreate(options) {
    try {
      (await FaceReshaper.create(options)).close();
      return { ok: true };
    } catch (e) {
      return { code: e.code, message: e.message };
    }
  },
  /** Reshapes the photo's faces (slim_face at 1) and reports what changed, where, and how long it took. */
  async run(bytes) {
    const t0 = performance.now();
    const reshaper = await FaceReshaper.create();
    const t1 = performance.now();
    const photo = new Blob([bytes]);
    const { image, width, height, faces } = await reshaper.reshape(photo, { shape: 'slim_face', strength: 1 });
    const t2 = performance.now();
    const backend = reshaper.backend;
    reshaper.close();
    const before = await pixels(await createImageBitmap(photo), width, height);
    const after = image.data;
    const box = faces[0]?.box ?? [0, 0, 0, 0];
    let inFace = 0;
    let elsewhere = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        const moved = Math.abs(after[i] - before[i]) + Math.abs(after[i + 1] - before[i + 1]) + Math.abs(after[i + 2] - before[i + 2]) > 6;
        if (!moved) continue;
        if (x >= box[0] && x < box[2] && y >= box[1] && y < box[3]) inFace++;
        else elsewhere++;
      }
    }
    return { faces: faces.length, width, height, changedInFace: inFace, changedElsewhere: elsewhere, createMs: t1 - t0, firstReshapeMs: t2 - t1, backend };
  },
};
window.appReady = true;
