import { startRuntime } from '../node/runtime.js';
import { parseCli, UsageError, USAGE } from './args.js';
import { runBatch } from './batch.js';
import { runDetect } from './detect.js';
import { runReshapeBatch } from './reshape-batch.js'; // [batch]
import { startProfiledRuntime, type ProfiledPage, type ProfiledRuntime } from '../node/profile.js'; // [batch]
import { runReshape } from './reshape.js';
import { runServe } from './serve.js';
import type { Runtime } from '../node/runtime.js';
import type { Page } from 'puppeteer';
import { envelopeFromError, FaceReshapeError } from 'webgpu-face-reshape/compat';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'reshape' && argv.some((a) => a === '--out-dir' || a.startsWith('--out-dir='))) return runReshapeBatch(argv.slice(1)); // [batch] many inputs, one Chromium
  if (argv[0] === 'batch') return runBatch(argv.slice(1)); // [scale-out] an HTTP client with its own options: no Chromium here
  const json = argv.includes('--json');
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (e) {
    return usageError((e as Error).message, json, true);
  }
  const { command, inputs, values } = parsed;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  if (command === 'reshape') return reshapeCommand(inputs, values);
  if (command === 'serve') return runServe(inputs, values);
  if (command !== 'detect') return usageError(`unknown command "${command}".`, json, true);
  let rt: Runtime | null = null;
  let page: Page | null = null;
  try {
    return await runDetect(inputs, values, {
      page: async () => {
        rt ??= await startRuntime({ assets: 'intercept' });
        page ??= (await rt.newPage()).page;
        return page;
      },
      stdout: (line) => process.stdout.write(line + '\n'),
      stderr: (line) => process.stderr.write(line + '\n'),
    });
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message, json, false);
    if (e instanceof FaceReshapeError) {
      const env = envelopeFromError(e);
      process.stderr.write(`face-reshape: error ${env.error_code} ${env.error_detail.code}: ${env.error_detail.message}\n`);
      if (json) process.stdout.write(JSON.stringify(env) + '\n');
      return env.error_code >= 500 ? 1 : 2;
    }
    throw e;
  } finally {
    await (rt as Runtime | null)?.close();
  }
}

/** A usage error: the message (and the usage text for a parse error) on stderr, with --json the envelope on stdout; exit 2. */
function usageError(message: string, json: boolean, withUsage: boolean): number {
  process.stderr.write(`face-reshape: ${message}\n${withUsage ? `\n${USAGE}\n` : ''}`);
  if (json) process.stdout.write(JSON.stringify(envelopeFromError(new FaceReshapeError('INVALID_ARGUMENT', message))) + '\n');
  return 2;
}

/** `reshape`: arguments and bytes are checked in Node first; Chromium starts only for a request that passed. */
async function reshapeCommand(inputs: string[], values: ReturnType<typeof parseCli>['values']): Promise<number> {
  let rt: ProfiledRuntime | null = null;
  let page: ProfiledPage | null = null;
  try {
    return await runReshape(inputs, values, {
      page: async () => {
        rt ??= await startProfiledRuntime({ disabled: Boolean(values['no-profile']) }); // [batch] Chromium's caches kept across runs
        page ??= await rt.newPage();
        return page;
      },
      stdout: (line) => process.stdout.write(line + '\n'),
      stderr: (line) => process.stderr.write(line + '\n'),
    });
  } finally {
    await (rt as ProfiledRuntime | null)?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    // No stack trace for users; FACE_RESHAPE_DEBUG=1 shows it.
    const err = e as Error;
    process.stderr.write(`face-reshape: ${process.env.FACE_RESHAPE_DEBUG ? (err?.stack ?? String(e)) : (err?.message ?? String(e))}\n`);
    process.exit(1);
  },
);
