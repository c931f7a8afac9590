/**
 * Grow-only typed arrays for building a field every frame (the video path): with a scratch, the
 * builder reuses its node grids and its output instead of allocating them per call. Arrays come
 * back zeroed. A field built with a scratch is valid until the next build with the same scratch.
 */
export class FieldScratch {
  private readonly f64 = new Map<string, Float64Array>();
  private f32 = new Float32Array(0);

  float64(key: string, n: number): Float64Array {
    let a = this.f64.get(key);
    if (!a || a.length < n) {
      a = new Float64Array(Math.ceil(n * 1.5));
      this.f64.set(key, a);
    }
    const view = a.subarray(0, n);
    view.fill(0);
    return view;
  }

  float32(n: number): Float32Array {
    if (this.f32.length < n) this.f32 = new Float32Array(Math.ceil(n * 1.5));
    const view = this.f32.subarray(0, n);
    view.fill(0);
    return view;
  }
}
