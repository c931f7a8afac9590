import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/env';

/**
 * The house's floors (issue 13): every import in the library and in the face-reshape package
 * looks down, never up or sideways, and the arrows the design forbids do not exist.
 *
 *   0 errors, types, timings → 1 gpu → 2 image → 3 landmarks | shapes → 4 field → 5 warp
 *   → 6 reshaper | video → 7 compat → 8 the bench's yardstick (test bed only) → 9 the entries
 *   (index, compat's index is compat's own; internals: the test bed's)
 *   face-reshape package: 10 node (the Chromium runtime) → 11 serve → 12 cli
 */
const FLOORS: Array<[RegExp, number, string]> = [
  [/^src\/(errors|types|timings)\.ts$/, 0, 'base'],
  [/^src\/gpu\//, 1, 'gpu'],
  [/^src\/image\//, 2, 'image'],
  [/^src\/landmarks\//, 3, 'landmarks'],
  [/^src\/shapes\//, 3, 'shapes'],
  [/^src\/field\//, 4, 'field'],
  [/^src\/warp\//, 5, 'warp'],
  [/^src\/reshaper\.ts$/, 6, 'reshaper'],
  [/^src\/video\//, 6, 'video'],
  [/^src\/compat\//, 7, 'compat'],
  [/^bench\/yardstick\.ts$/, 8, 'bench'],
  [/^src\/(index|internals)\.ts$/, 9, 'entries'],
  [/^packages\/face-reshape\/src\/node\//, 10, 'node'],
  [/^packages\/face-reshape\/src\/serve\//, 11, 'serve'],
  [/^packages\/face-reshape\/src\/cli\//, 12, 'cli'],
];

/** Arrows the design forbids even where the floors would allow them (../shared/design/architecture.json). */
const NEVER: Array<[string, string, string]> = [
  ['warp', 'shapes', 'the warp sees only a field'],
  ['warp', 'landmarks', 'the warp sees only a field'],
  ['shapes', 'landmarks', 'shapes take landmarks as plain arrays'],
  ['field', 'landmarks', 'the field takes landmarks as plain arrays'],
  ['video', 'reshaper', 'the camera path builds on the floors below the still-image API'],
];

export interface Import {
  from: string;
  to: string;
}

function floorOf(file: string): { floor: number; part: string } | null {
  for (const [re, floor, part] of FLOORS) if (re.test(file)) return { floor, part };
  return null;
}

/** What is wrong with these imports: each one that goes up or sideways, or is forbidden, in words. */
export function violations(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const { from, to } of imports) {
    const a = floorOf(from);
    const b = floorOf(to);
    if (!a) {
      out.push(`${from} is on no floor: give it a place in FLOORS`);
      continue;
    }
    if (!b) {
      out.push(`${from} imports ${to}, which is on no floor`);
      continue;
    }
    const never = NEVER.find(([p, q]) => p === a.part && q === b.part);
    if (never) out.push(`${from} → ${to}: ${a.part} must never import ${b.part} (${never[2]})`);
    else if (a.part !== b.part && b.floor >= a.floor) out.push(`${from} → ${to}: ${a.part} (floor ${a.floor}) imports ${b.part} (floor ${b.floor}), which is not below it`);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

/** Every relative import (static, export-from, dynamic) of the library and the face-reshape package. */
function importGraph(): { imports: Import[]; bare: Import[] } {
  const imports: Import[] = [];
  const bare: Import[] = [];
  for (const file of [...sources(resolve(ROOT, 'src')), ...sources(resolve(ROOT, 'packages/face-reshape/src'))]) {
    const text = readFileSync(file, 'utf8');
    const from = relative(ROOT, file);
    for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = (m[1] ?? m[2] ?? m[3]).replace(/\?.*$/, '');
      if (!spec.startsWith('.')) {
        bare.push({ from, to: spec });
        continue;
      }
      const target = relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      if (/\.wgsl$/.test(target)) continue; // shaders are the passes' own text, not a floor
      imports.push({ from, to: /\.ts$/.test(target) ? target : `${target}/index.ts` });
    }
  }
  return { imports, bare };
}

describe('floors that only look down', () => {
  it('the checker itself flags an upward, a sideways and a forbidden import, and passes a downward one', () => {
    expect(
      violations([
        { from: 'src/gpu/upload.ts', to: 'src/warp/gpu-warper.ts' },
        { from: 'src/shapes/names.ts', to: 'src/landmarks/box.ts' },
        { from: 'src/warp/culling.ts', to: 'src/shapes/primitives.ts' },
        { from: 'src/field/build.ts', to: 'src/gpu/sizing.ts' },
      ]),
    ).toHaveLength(3);
  });

  it('every import of the library and of the face-reshape package looks down', () => {
    const { imports } = importGraph();
    expect(imports.length).toBeGreaterThan(150);
    expect(violations(imports)).toEqual([]);
  });

  it('the face-reshape package reaches the library only through its public ./compat entry; the library imports no Node or server package', () => {
    const { imports, bare } = importGraph();
    const cliToLibrary = imports.filter((i) => i.from.startsWith('packages/') && i.to.startsWith('src/'));
    expect(cliToLibrary).toEqual([]);
    const libraryBare = [...new Set(bare.filter((i) => i.from.startsWith('src/')).map((i) => i.to))].sort();
    expect(libraryBare).toEqual(['@mediapipe/tasks-vision']);
    const cliLibrary = [...new Set(bare.filter((i) => i.from.startsWith('packages/') && i.to.startsWith('webgpu-face-reshape')).map((i) => i.to))];
    expect(cliLibrary).toEqual(['webgpu-face-reshape/compat']);
  });
});
