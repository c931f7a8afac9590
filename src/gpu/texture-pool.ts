export interface TexturePoolOptions {
  label: string;
  format: GPUTextureFormat;
  usage: GPUTextureUsageFlags;
  /** Sizes kept at once; the least recently used size is destroyed first (default 2: a photo and a video, say). */
  sizes?: number;
  /** Textures per size, handed out in turn (default 1). */
  slots?: number;
}

/**
 * Reusable textures of one format and usage, per size. A texture handed out is overwritten when
 * its slot comes round again (GPU work already submitted still reads the old contents), so a
 * caller that keeps an image longer copies it, or passes its own texture.
 */
export class TexturePool {
  private readonly bySize = new Map<string, { textures: (GPUTexture | null)[]; next: number }>();

  constructor(
    private readonly device: GPUDevice,
    private readonly options: TexturePoolOptions,
  ) {}

  /** A texture of this size, never `avoid` (e.g. the source of the pass that will write into it). */
  take(width: number, height: number, avoid?: GPUTexture): GPUTexture {
    const key = `${width}x${height}`;
    let entry = this.bySize.get(key);
    if (entry) this.bySize.delete(key); // re-inserted below: Map order is the LRU order
    else entry = { textures: new Array(this.options.slots ?? 1).fill(null), next: 0 };
    this.bySize.set(key, entry);
    while (this.bySize.size > (this.options.sizes ?? 2)) {
      const [oldKey, old] = this.bySize.entries().next().value!;
      for (const t of old.textures) t?.destroy();
      this.bySize.delete(oldKey);
    }
    const n = entry.textures.length;
    let i = entry.next;
    if (avoid && entry.textures[i] === avoid) i = (i + 1) % n;
    entry.next = (i + 1) % n;
    let texture = entry.textures[i];
    if (!texture) {
      texture = this.device.createTexture({
        label: `${this.options.label} ${key}${n > 1 ? ` #${i}` : ''}`,
        size: { width, height },
        format: this.options.format,
        usage: this.options.usage,
      });
      entry.textures[i] = texture;
    }
    return texture;
  }

  destroy(): void {
    for (const entry of this.bySize.values()) for (const t of entry.textures) t?.destroy();
    this.bySize.clear();
  }
}
