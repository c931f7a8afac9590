import { startRuntime } from '../node/runtime.js';
import { parseCli, UsageError, USAGE } from './args.js';
import { runBatch } from './batch.js';
import { runDetect } from './detect.js';
import { runReshapeBatch } from './reshape-batch.js'; // [batch]
import { startProfiledRuntime } from '../node/profile.js'; // [batch]
import { runReshape } from './reshape.js';
import { runServe } from './serve.js';
import type { Runtime } from '../node/runtime.js';
import type { Page } from 'puppeteer';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'reshape' && argv.some((a) => a === '--out-dir' || a.startsWith('--out-dir='))) return runReshapeBatch(argv.slice(1)); // [batch] many inputs, one Chromium
  if (argv[0] === 'batch') return runBatch(argv.slice(1)); // [scale-out] an HTTP client with its own options: no Chromium here
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (e) {
    process.stderr.write(`face-reshape: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { command, inputs, values } = parsed;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  if (command === 'reshape') return reshapeCommand(inputs, values);
  if (command === 'serve') return runServe(inputs, values);
  if (command !== 'detect') {
    process.stderr.write(`face-reshape: unknown command "${command}".\n\n${USAGE}\n`);
    return 2;
  }
  const rt = await startRuntime();
  try {
    const { page } = await rt.newPage();
    return await runDetect(page, inputs, values, (line) => process.stdout.write(line + '\n'));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`face-reshape: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    await rt.close();
  }
}

/** `reshape`: arguments and bytes are checked in Node first; Chromium starts only for a request that passed. */
async function reshapeCommand(inputs: string[], values: ReturnType<typeof parseCli>['values']): Promise<number> {
  let rt: Runtime | null = null;
  let page: Page | null = null;
  try {
    return await runReshape(inputs, values, {
      page: async () => {
        rt ??= await startProfiledRuntime({ disabled: Boolean(values['no-profile']) }); // [batch] Chromium's caches kept across runs
        page ??= (await rt.newPage()).page;
        return page;
      },
      stdout: (line) => process.stdout.write(line + '\n'),
      stderr: (line) => process.stderr.write(line + '\n'),
    });
  } finally {
    await (rt as Runtime | null)?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`face-reshape: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
