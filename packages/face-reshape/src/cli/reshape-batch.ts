import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  checkCloudImage,
  envelopeFromError,
  errorEnvelope,
  FaceReshapeError,
  parseFacialAestheticsRequest,
  type Edit,
  type FacialAestheticsEnvelope,
} from 'webgpu-face-reshape/compat';
import { startProfiledRuntime, type ProfiledPage, type ProfiledRuntime } from '../node/profile.js';
import { expandInputs } from './inputs.js';
import { parseEditFlag, readModelFlag, reshapeOnPage, type PageConfig } from './reshape.js';

/**
 * `face-reshape reshape IN... --out-dir DIR`: many images through one Chromium and one reshaper.
 * Each file is checked in Node like the single form, reshaped, and written to DIR/<name>.<jpg|png>
 * (JPEG stays JPEG, anything else becomes PNG). A file's failure is its own envelope and never
 * stops the batch; the exit code is the worst one (1 for any 5xx, else 2 for any 4xx, else 0).
 */

export const RESHAPE_BATCH_USAGE = `Usage: face-reshape reshape IN... --out-dir DIR --shape S --strength X [--edit NAME=X ...] [--json]
                             [--backend webgpu|cpu] [--model FILE.task] [--no-profile]
  IN                 image files, folders (their .jpg/.png/.bmp, not recursive) or quoted patterns (*.jpg, photos/**/*.png)
  --out-dir DIR      results go to DIR/<input name>.jpg for a JPEG input, .png otherwise (DIR is created)
  --json             one cloud envelope per input as a JSON line on stdout, with "input": the file
  --no-profile       a throw-away Chromium profile (or FACE_RESHAPE_PROFILE=off); by default Chromium keeps its
                     caches in \${XDG_CACHE_HOME:-~/.cache}/face-reshape/chromium-profile (FACE_RESHAPE_PROFILE=DIR: elsewhere)
A progress line goes to stderr on a terminal, and a summary at the end. A failed file never stops the batch.
Exit 0 when every file was reshaped, 2 when any failed on its input (4xx), 1 when any failed otherwise (5xx).`;

export interface BatchIo {
  stdout: (line: string) => void;
  stderr: (text: string) => void;
  /** Draw the progress line (stderr is a terminal). */
  tty: boolean;
}

const defaultIo: BatchIo = {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
};

interface FileResult {
  input: string;
  envelope: FacialAestheticsEnvelope;
  out?: string;
}

/** The output's name and encoding for an input: JPEG stays JPEG (same extension), anything else is PNG. */
export function outputNameOf(file: string): { name: string; type: 'image/png' | 'image/jpeg' } {
  const ext = extname(file);
  const stem = basename(file, ext);
  return /^\.jpe?g$/i.test(ext) ? { name: `${stem}${ext.toLowerCase()}`, type: 'image/jpeg' } : { name: `${stem}.png`, type: 'image/png' };
}

function statusOf(env: FacialAestheticsEnvelope): number {
  if (env.error_code === 0) return 0;
  return env.error_code >= 500 ? 1 : 2;
}

/** The worst of the exit codes: any 5xx (1) over any 4xx (2) over success (0). */
export function worstExit(codes: number[]): number {
  return codes.includes(1) ? 1 : codes.includes(2) ? 2 : 0;
}

function inputError(message: string): FacialAestheticsEnvelope {
  return envelopeFromError(new FaceReshapeError('INVALID_ARGUMENT', message));
}

export async function runReshapeBatch(argv: string[], io: BatchIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'out-dir': { type: 'string' },
        shape: { type: 'string' },
        strength: { type: 'string' },
        edit: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        backend: { type: 'string' },
        model: { type: 'string' },
        'no-profile': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.stderr(`face-reshape: ${(e as Error).message}\n\n${RESHAPE_BATCH_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(RESHAPE_BATCH_USAGE);
    return 0;
  }
  const inputs = positionals;
  const emit = (r: FileResult) => {
    if (values.json) io.stdout(JSON.stringify({ input: r.input, ...r.envelope }));
  };

  // Arguments shared by every file: a mistake here is one error, before any file is read.
  const usage = (message: string) => {
    const env = inputError(message);
    if (values.json) io.stdout(JSON.stringify(env));
    io.stderr(`face-reshape: error ${env.error_code} ${env.error_detail.code}: ${message}\n`);
    return 2;
  };
  if (!values['out-dir']) return usage('Missing --out-dir DIR: name the folder the results go to.');
  if (!inputs.length) return usage('Name at least one input image, folder or pattern before --out-dir.');
  if (values.backend !== undefined && values.backend !== 'webgpu' && values.backend !== 'cpu') return usage(`--backend must be webgpu or cpu; got "${values.backend}".`);
  let edits: Edit[];
  let model: Buffer | null = null;
  try {
    edits = (values.edit ?? []).map(parseEditFlag);
    model = readModelFlag(values.model);
  } catch (e) {
    return usage((e as Error).message);
  }
  const outDir = resolve(values['out-dir']);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    return usage(`Cannot create --out-dir ${values['out-dir']}: ${(e as Error).message}.`);
  }

  const expanded = expandInputs(inputs);
  const total = expanded.reduce((n, x) => n + Math.max(1, x.files.length), 0);
  const results: FileResult[] = [];
  const claimed = new Map<string, string>(); // output name → input that writes it
  const t0 = performance.now();
  let done = 0;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) io.stderr('\r\x1b[K');
    progressShown = false;
  };
  const progress = (file: string) => {
    if (!io.tty) return;
    const s = (performance.now() - t0) / 1000;
    const rate = done && s > 0 ? ` ${(done / s).toFixed(2)} img/s` : '';
    io.stderr(`\r\x1b[K[${done}/${total}]${rate} ${file}`);
    progressShown = true;
  };
  const record = (r: FileResult) => {
    results.push(r);
    done++;
    clearProgress();
    const env = r.envelope;
    if (env.error_code !== 0) io.stderr(`face-reshape: ${r.input}: error ${env.error_code} ${env.error_detail.code}: ${env.error_detail.message}\n`);
    emit(r);
  };

  const state: { rt: ProfiledRuntime | null } = { rt: null };
  let startError: FacialAestheticsEnvelope | null = null;
  const pages: { page: ProfiledPage | null } = { page: null };
  let reshaperReady = false;
  let warned = false;
  const openPage = async (): Promise<ProfiledPage> => {
    state.rt ??= await startProfiledRuntime({ disabled: values['no-profile'] });
    pages.page ??= await state.rt.newPage();
    return pages.page;
  };

  try {
    for (const x of expanded) {
      if (x.problem) {
        record({ input: x.input, envelope: inputError(`${x.problem}.`) });
        continue;
      }
      for (const file of x.files) {
        progress(file);
        const { name, type } = outputNameOf(file);
        const owner = claimed.get(name);
        if (owner !== undefined) {
          record({ input: file, envelope: inputError(`${file} would overwrite ${join(outDir, name)}, the result of ${owner}: give the two inputs different names, or run them into different --out-dir folders.`) });
          continue;
        }
        claimed.set(name, file);
        let bytes: Buffer;
        try {
          try {
            bytes = readFileSync(file);
          } catch (e) {
            throw new FaceReshapeError('INVALID_ARGUMENT', `Cannot read the input image ${file}: ${(e as Error).message}.`);
          }
          parseFacialAestheticsRequest({ image: bytes, shape_type: values.shape, strength: values.strength }, { allowShapeNames: true, editsGiven: edits.length > 0 });
          checkCloudImage(bytes);
        } catch (e) {
          record({ input: file, envelope: envelopeFromError(e) });
          continue;
        }
        if (startError) {
          record({ input: file, envelope: startError });
          continue;
        }
        let p: ProfiledPage;
        try {
          p = await openPage();
        } catch (e) {
          // Chromium or the library cannot start: every later file would fail the same way, without trying again.
          startError = envelopeFromError(e);
          record({ input: file, envelope: startError });
          continue;
        }
        const config: PageConfig = { shape_type: values.shape, strength: values.strength, edits, outputType: type, backend: (values.backend as 'webgpu' | 'cpu') ?? 'webgpu' };
        let env: FacialAestheticsEnvelope;
        let out: string | undefined;
        try {
          const res = await reshapeOnPage(p, bytes, config, reshaperReady ? null : model);
          reshaperReady ||= res.envelope.error_code === 0;
          if (res.warning && !warned) {
            warned = true;
            clearProgress();
            io.stderr(`face-reshape: warning: ${res.warning}\n`);
          }
          env = res.envelope;
          if (env.error_code === 0 && res.output) {
            const bytes = res.output;
            out = join(outDir, name);
            // A temporary name, then a rename: a file in --out-dir is always a whole result.
            const tmp = join(outDir, `.${name}.partial-${process.pid}`);
            try {
              writeFileSync(tmp, bytes);
              renameSync(tmp, out);
              env.data = { image_url: pathToFileURL(out).href };
              if (!values.json) {
                clearProgress();
                io.stdout(`${file} → ${out}: ${res.width}×${res.height}, ${res.faces} face(s) reshaped`);
              }
            } catch (e) {
              rmSync(tmp, { force: true });
              env = errorEnvelope('SERVICE_INTERNAL_ERROR', `The image was reshaped but ${out} could not be written: ${(e as Error).message}. Check that the folder is writable.`);
              out = undefined;
            }
          }
        } catch (e) {
          // The page crashed or was closed under the job: this file fails, the next gets a fresh page.
          env = errorEnvelope('SERVICE_INTERNAL_ERROR', `The reshaping page failed on ${file} (${(e as Error)?.message ?? e}); the rest of the batch continues on a new page. Retry this file.`);
          void pages.page?.page.close().catch(() => {});
          pages.page = null;
          reshaperReady = false;
        }
        record({ input: file, envelope: env, out });
      }
    }
  } finally {
    clearProgress();
    await state.rt?.close();
  }

  const codes = results.map((r) => statusOf(r.envelope));
  const ok = codes.filter((c) => c === 0).length;
  const s = (performance.now() - t0) / 1000;
  const failed4 = codes.filter((c) => c === 2).length;
  const failed5 = codes.filter((c) => c === 1).length;
  io.stderr(
    `face-reshape: ${results.length} input(s): ${ok} reshaped into ${outDir}` +
      (failed4 || failed5 ? `, ${failed4 + failed5} failed (${failed4} on their input, ${failed5} internal)` : '') +
      ` in ${s.toFixed(1)} s (${(ok / s).toFixed(2)} images/s)\n`,
  );
  return worstExit(codes);
}
