import { existsSync } from 'node:fs';
import type { Browser, LaunchOptions } from 'puppeteer';
import { FaceReshapeError } from 'webgpu-face-reshape/compat';

/** Flags for WebGPU on SwiftShader in headless Chromium (a real GPU is used where one exists). */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  // MediaPipe's GPU paths use WebGL2, which headless Chromium only offers through SwiftShader with this flag.
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-extensions',
  // Every page of a pool must run at full speed: no timer throttling or lower priority for pages
  // Chromium thinks are in the background or covered (each page also has its own window).
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** SwiftShader is the only adapter on GPU-less machines; FACE_RESHAPE_WEBGPU_ADAPTER=default lets a real GPU be picked. */
function adapterFlags(): string[] {
  const adapter = process.env.FACE_RESHAPE_WEBGPU_ADAPTER ?? 'swiftshader';
  return adapter === 'default' ? [] : [`--use-webgpu-adapter=${adapter}`];
}

/** System Chromium: CHROMIUM_PATH, then PUPPETEER_EXECUTABLE_PATH, then /usr/bin/chromium. */
export function findChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, process.env.PUPPETEER_EXECUTABLE_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new FaceReshapeError(
    'INTERNAL',
    'No Chromium found. Install it (Debian/Ubuntu: `apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium/Chrome executable.',
  );
}

export async function launchChromium(extraArgs: string[] = [], options: Partial<LaunchOptions> = {}): Promise<Browser> {
  const { default: puppeteer } = await import('puppeteer');
  return puppeteer.launch({
    executablePath: findChromium(),
    headless: true,
    args: [...CHROMIUM_FLAGS, ...adapterFlags(), ...extraArgs],
    protocolTimeout: 600_000,
    ...options,
  });
}
