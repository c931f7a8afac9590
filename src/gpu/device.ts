import { FaceReshapeError } from '../errors.js';

export interface RequestGpuDeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Limits beyond the defaults; each is capped at what the adapter supports. */
  requiredLimits?: Record<string, number>;
  /** Optional features to enable where the adapter has them (e.g. 'timestamp-query'). */
  optionalFeatures?: GPUFeatureName[];
  label?: string;
}

export interface GpuDeviceHandle {
  device: GPUDevice;
  adapter: GPUAdapter;
}

export interface DeviceLossInfo {
  reason: GPUDeviceLostReason;
  message: string;
}

/** Loss state of every device we watch; a device is watched at most once. */
const lossState = new WeakMap<GPUDevice, { lost: DeviceLossInfo | null; listeners: Set<(info: DeviceLossInfo) => void> }>();

const FIX_HINT =
  'Use a browser with WebGPU enabled (Chrome/Edge 113+, Safari 26+, Firefox 141+; in Chromium on Linux start it with ' +
  '--enable-unsafe-webgpu --enable-features=Vulkan, headless: --use-webgpu-adapter=swiftshader), serve the page from a ' +
  "secure context (https or localhost), or pass backend: 'cpu' to use the CPU reference warp.";

/**
 * Starts watching `device.lost` (idempotent). Every GPU owner in this library calls this in
 * its constructor, so devices the app created itself are covered too.
 */
export function watchDevice(device: GPUDevice): void {
  if (lossState.has(device)) return;
  const state = { lost: null as DeviceLossInfo | null, listeners: new Set<(info: DeviceLossInfo) => void>() };
  lossState.set(device, state);
  const markLost = (info: DeviceLossInfo) => {
    if (state.lost) return;
    state.lost = info;
    for (const fn of state.listeners) {
      try {
        fn(info);
      } catch {
        // A listener's failure must not keep the others from learning of the loss.
      }
    }
    state.listeners.clear();
  };
  void device.lost.then((info) => markLost({ reason: info.reason, message: info.message }));
  // destroy() loses the device at once, but Chromium resolves device.lost only when the GPU process
  // reports back, which in loaded headless runs took longer than a minute. Record a destroy() call
  // synchronously so no call runs on a destroyed device while the promise is pending.
  const destroy = device.destroy;
  if (typeof destroy === 'function') {
    try {
      Object.defineProperty(device, 'destroy', {
        configurable: true,
        writable: true,
        value: () => {
          markLost({ reason: 'destroyed', message: 'GPUDevice.destroy() was called' });
          destroy.call(device);
        },
      });
    } catch {
      // A frozen device object: rely on device.lost alone.
    }
  }
}

/** Loss info once the device is lost (including by device.destroy()), else null. */
export function deviceLossInfo(device: GPUDevice): DeviceLossInfo | null {
  watchDevice(device);
  return lossState.get(device)!.lost;
}

export function isDeviceLost(device: GPUDevice): boolean {
  return deviceLossInfo(device) !== null;
}

/** Throws FaceReshapeError('DEVICE_LOST') when the device is gone; owners call it at the top of every GPU call. */
export function assertDeviceAlive(device: GPUDevice, what = 'GPU work'): void {
  const lost = deviceLossInfo(device);
  if (lost) {
    throw new FaceReshapeError('DEVICE_LOST',
      `Cannot run ${what}: the GPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ''}). ` +
        'Create a new reshaper (or device) and try again.',
    );
  }
}

/**
 * Requests a WebGPU adapter and device. Throws FaceReshapeError('WEBGPU_UNAVAILABLE') with a
 * message naming the fix when WebGPU is missing, no adapter exists, or the device request fails.
 * The returned device is watched for loss (see isDeviceLost).
 */
export async function requestGpuDevice(options: RequestGpuDeviceOptions = {}): Promise<GpuDeviceHandle> {
  const gpu: GPU | undefined = typeof navigator !== 'undefined' ? (navigator as Navigator & { gpu?: GPU }).gpu : undefined;
  if (!gpu) {
    throw new FaceReshapeError('WEBGPU_UNAVAILABLE', `WebGPU is not available here (navigator.gpu is missing). ${FIX_HINT}`);
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  } catch (cause) {
    throw new FaceReshapeError('WEBGPU_UNAVAILABLE', `requestAdapter() failed. ${FIX_HINT}`, { cause });
  }
  if (!adapter) {
    throw new FaceReshapeError('WEBGPU_UNAVAILABLE', `No WebGPU adapter is available (the GPU may be blocklisted or disabled). ${FIX_HINT}`);
  }

  const requiredFeatures = (options.optionalFeatures ?? []).filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const [name, want] of Object.entries(options.requiredLimits ?? {})) {
    const have = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof have === 'number') requiredLimits[name] = Math.min(want, have);
  }

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: options.label ?? 'face-reshape device',
      requiredFeatures,
      requiredLimits,
    });
  } catch (cause) {
    throw new FaceReshapeError('WEBGPU_UNAVAILABLE', `requestDevice() failed: ${(cause as Error)?.message ?? cause}. ${FIX_HINT}`, { cause });
  }
  watchDevice(device);
  return { device, adapter };
}
