/**
 * Whether an adapter is a GPU emulated on the CPU: `isFallbackAdapter` where the browser has it,
 * else SwiftShader by name. There some GPU paths cost more than the CPU does (the field build),
 * and some lose the device (presenting a WebGPU canvas, importing video).
 */
export function isEmulated(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  return (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /swiftshader/i.test(text);
}

/** isEmulated() for the adapter a device came from (GPUDevice.adapterInfo; unknown counts as a real GPU). */
export function isEmulatedDevice(device: GPUDevice): boolean {
  return isEmulated((device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
}
