import { FaceReshapeError } from '../errors.js';
import { sizeOf, type DecodedSource } from '../types.js';
import { assertDeviceAlive, watchDevice } from './device.js';
import { TexturePool } from './texture-pool.js';

/** Every decoded browser image source the library accepts (the same set decoding produces). */
export type GpuImageSource = DecodedSource;

/** TEXTURE_BINDING 4 | COPY_SRC 1 | COPY_DST 2 | RENDER_ATTACHMENT 16 (copyExternalImageToTexture needs the last two). */
export const UPLOAD_USAGE: GPUTextureUsageFlags = 4 | 1 | 2 | 16;

function isInstance<T>(value: unknown, ctor: string): value is T {
  const C = (globalThis as Record<string, unknown>)[ctor];
  return typeof C === 'function' && value instanceof (C as new (...a: never[]) => unknown);
}

/**
 * Uploads browser image sources into rgba8unorm textures (straight, not premultiplied, alpha).
 * ImageData goes through queue.writeTexture; everything else through copyExternalImageToTexture.
 * Textures are owned by the uploader and reused by size: the texture returned for a size is
 * overwritten by the next upload of that size (GPU work already submitted reads the old contents).
 */
export class TextureUploader {
  readonly device: GPUDevice;
  private readonly textures: TexturePool;
  private destroyed = false;

  constructor(device: GPUDevice, options: { label?: string } = {}) {
    this.device = device;
    this.textures = new TexturePool(device, { label: options.label ?? 'face-reshape upload', format: 'rgba8unorm', usage: UPLOAD_USAGE });
    watchDevice(device);
  }

  upload(source: GpuImageSource): GPUTexture {
    if (this.destroyed) throw new FaceReshapeError('CLOSED', 'TextureUploader.upload() called after destroy().');
    assertDeviceAlive(this.device, 'the image upload');
    const { width, height } = sizeOf(source);
    const max = this.device.limits.maxTextureDimension2D;
    if (!(width > 0 && height > 0)) {
      throw new FaceReshapeError('INVALID_ARGUMENT', `Image source has no pixels (${width}x${height}); is the image loaded / the video playing?`);
    }
    if (width > max || height > max) {
      throw new FaceReshapeError('IMAGE_TOO_LARGE', `Image is ${width}x${height}; this GPU's textures are limited to ${max}x${max}.`);
    }
    const texture = this.textures.take(width, height);
    if (isInstance<ImageData>(source, 'ImageData')) {
      this.device.queue.writeTexture(
        { texture },
        source.data.buffer as ArrayBuffer,
        { offset: source.data.byteOffset, bytesPerRow: width * 4, rowsPerImage: height },
        { width, height },
      );
    } else {
      this.device.queue.copyExternalImageToTexture(
        { source: source as GPUCopyExternalImageSource },
        { texture, premultipliedAlpha: false, colorSpace: 'srgb' },
        { width, height },
      );
    }
    return texture;
  }

  /** Frees every texture this uploader made. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.textures.destroy();
  }
}
