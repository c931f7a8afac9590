import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/env';

const run = promisify(execFile);

/** The consumer apps' sources (test/embed/) and the one app script they all share. */
export const EMBED = resolve(ROOT, 'test', 'embed');

/** Version of a package as installed at the repository root, so a consumer app installs the same one (from npm's cache). */
export function rootVersion(name: string): string {
  return JSON.parse(readFileSync(resolve(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

export interface Packed {
  tarball: string;
  /** Bytes of the .tgz and of its contents unpacked, and the file list (package/…), from npm pack --json. */
  size: number;
  unpackedSize: number;
  files: string[];
}

/** `npm pack` of the library at the repository root, as a user's `npm publish` would make it (prepack builds it). */
export async function packLibrary(into: string): Promise<Packed> {
  mkdirSync(into, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', into], { cwd: ROOT, maxBuffer: 64 << 20 });
  const info = JSON.parse(stdout.slice(stdout.indexOf('[')))[0];
  return { tarball: join(into, info.filename), size: info.size, unpackedSize: info.unpackedSize, files: info.files.map((f: { path: string }) => f.path) };
}

/**
 * A consumer app in a folder of its own outside the repository (so nothing resolves from the
 * repository's node_modules): the app's files from test/embed/<name>, the shared app script at
 * `script`, and a package.json depending on the tarball plus the given dev tools.
 */
export async function makeApp(dir: string, name: string, tarball: string, devDependencies: Record<string, string>, script?: string): Promise<string> {
  const app = join(dir, name);
  cpSync(join(EMBED, name), app, { recursive: true });
  if (script) {
    mkdirSync(resolve(app, script, '..'), { recursive: true });
    cpSync(join(EMBED, 'app.js'), join(app, script));
  }
  const pkg = { name: `embed-${name}`, private: true, type: 'module', dependencies: { 'webgpu-face-reshape': `file:${tarball}` }, devDependencies };
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, maxBuffer: 64 << 20 });
  return app;
}

export { freePort } from '../support/processes';

/** A long-running command (a dev server) until `ready` shows in its output; `stop()` kills its process group. */
export async function startCommand(cmd: string, args: string[], cwd: string, ready: RegExp): Promise<{ proc: ChildProcess; stop(): void; output(): string }> {
  const proc = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const stop = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`${cmd} ${args.join(' ')} did not become ready in 120 s:\n${out}`)), 120_000);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(t);
        ok();
      }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(t);
      fail(new Error(`${cmd} exited (${code}) before it was ready:\n${out}`));
    });
  });
  return { proc, stop, output: () => out };
}

export { run };
