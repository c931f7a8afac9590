import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The batch CLI's inputs → image files: a file stands for itself (whatever its name: the checks
 * judge its bytes), a folder for its .jpg/.jpeg/.png/.bmp files (not recursive), and a pattern with
 * * ? [..] (or ** for any depth) for the images it matches, for shells that left it quoted.
 * An input that yields nothing is reported, not dropped, so the batch can give it an error.
 */

export const IMAGE_NAME = /\.(jpe?g|png|bmp)$/i;

export interface ExpandedInput {
  input: string;
  files: string[];
  /** Why the input gave no file (missing, empty folder, pattern matching nothing). */
  problem?: string;
}

const isPattern = (s: string) => /[*?[]/.test(s);

function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function listDir(dir: string): Array<{ name: string; dir: boolean }> {
  try {
    return readdirSync(dir || '.', { withFileTypes: true })
      .filter((d) => !d.name.startsWith('.'))
      .map((d) => ({ name: d.name, dir: d.isDirectory() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}

/** Matches path segments one by one from `base`; `**` stands for zero or more folders. */
function glob(base: string, segs: string[], out: string[]): void {
  if (!segs.length) return;
  const [seg, ...rest] = segs;
  const here = (name: string) => (base ? join(base, name) : name);
  if (seg === '**') {
    glob(base, rest, out);
    for (const e of listDir(base)) if (e.dir) glob(here(e.name), segs, out);
    return;
  }
  if (!isPattern(seg)) {
    const p = here(seg);
    if (!rest.length) {
      if (IMAGE_NAME.test(seg) && isFile(p)) out.push(p);
    } else glob(p, rest, out);
    return;
  }
  const re = segmentRegExp(seg);
  for (const e of listDir(base)) {
    if (!re.test(e.name)) continue;
    if (rest.length) {
      if (e.dir) glob(here(e.name), rest, out);
    } else if (!e.dir && IMAGE_NAME.test(e.name)) out.push(here(e.name));
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function expandInputs(inputs: string[]): ExpandedInput[] {
  return inputs.map((input) => {
    let st;
    try {
      st = statSync(input);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) {
      const files = listDir(input)
        .filter((e) => !e.dir && IMAGE_NAME.test(e.name))
        .map((e) => join(input, e.name));
      return files.length ? { input, files } : { input, files, problem: `the folder ${input} holds no .jpg, .png or .bmp image` };
    }
    if (st) return { input, files: [input] };
    if (isPattern(input)) {
      const absolute = input.startsWith('/');
      const files: string[] = [];
      glob(absolute ? '/' : '', input.split('/').filter(Boolean), files);
      const unique = [...new Set(files)];
      return unique.length ? { input, files: unique } : { input, files, problem: `the pattern ${input} matches no .jpg, .png or .bmp image` };
    }
    // A missing file is passed on: reading it gives the file's own error envelope.
    return { input, files: [input] };
  });
}
