import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { errorCases, facelessPng, JPEG_FIXTURE, PNG_FIXTURE, type ErrorCase } from '../support/compat-cases';
import { ROOT } from '../support/env';

const BIN = resolve(ROOT, 'packages/face-reshape/bin/face-reshape.js');
const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const t0 = Date.now();
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs jobs two at a time (the machine has two cores). */
async function pool<T, R>(items: T[], fn: (t: T, i: number) => Promise<R>, width = 2): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** A CHROMIUM_PATH that only leaves a mark: a run given it must not need Chromium (answered in Node before any start). */
function noChromium(): { env: NodeJS.ProcessEnv; started: () => boolean } {
  const marker = join(TMP, `chromium-started-${Math.random().toString(36).slice(2)}`);
  const fake = join(TMP, `fake-chromium-${Math.random().toString(36).slice(2)}`);
  writeFileSync(fake, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
  chmodSync(fake, 0o755);
  return { env: { CHROMIUM_PATH: fake }, started: () => existsSync(marker) };
}

function envelope(r: Run) {
  const lines = r.stdout.trim().split('\n');
  expect(lines, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0]);
}

/** The CLI form of an error case: the image is written to a file whose name says .jpg whatever it holds. */
function argsFor(c: ErrorCase, i: number, out: string): string[] {
  const args = ['reshape'];
  if (c.image) {
    const file = join(TMP, `case${i}.jpg`);
    writeFileSync(file, c.image);
    args.push(file);
  }
  if (c.shape_type !== undefined) args.push(`--shape=${c.shape_type}`);
  if (c.strength !== undefined) args.push(`--strength=${c.strength}`);
  return [...args, '--out', out, '--json'];
}

function validArgs(out: string): string[] {
  return ['reshape', PNG_FIXTURE, '--shape', '2', '--strength', '0.5', '--out', out, '--json'];
}

describe('face-reshape reshape (CLI, headless Chromium)', () => {
  it('answers every row of the error table with exit 2 and the envelope; a valid run among them succeeds', async () => {
    const cases = errorCases().filter((c) => c.cli !== false);
    const codes = [...new Set(cases.map((c) => c.code))];
    for (const code of codes) expect(cases.filter((c) => c.code === code).length, code).toBeGreaterThanOrEqual(2);
    // Jobs: each bad case, then one valid run. Each CLI call is a process of its own (nothing carries over
    // from one to the next, unlike the server's pages), so one valid run among the bad ones says as much
    // as one after each code did, at a ninth of the Chromium starts.
    type Job = { kind: 'bad'; c: ErrorCase; i: number } | { kind: 'valid'; after: string };
    const jobs: Job[] = [];
    for (const code of codes) cases.forEach((c, i) => c.code === code && jobs.push({ kind: 'bad', c, i }));
    jobs.push({ kind: 'valid', after: 'every code' });
    const rows: string[] = [];
    await pool(jobs, async (job, j) => {
      const out = join(TMP, `out${j}.png`);
      if (job.kind === 'valid') {
        const r = await cli(validArgs(out));
        expect(r.code, `valid run after ${job.after}: ${r.stderr}`).toBe(0);
        expect(envelope(r).data.image_url).toBe(pathToFileURL(out).href);
        expect(PNG.sync.read(readFileSync(out)).width).toBe(512);
        return;
      }
      const { c, i } = job;
      const r = await cli(argsFor(c, i, out));
      const e = envelope(r);
      rows.push(`${String(e.error_code).padEnd(4)} ${e.error_detail.code.padEnd(30)} exit ${r.code} ${String(r.ms).padStart(5)} ms  ${c.name}`);
      expect([r.code, e.error_code, e.error_detail.status_code, e.error_detail.code, e.error_code_str], c.name).toEqual([2, c.status, c.status, c.code, c.code]);
      expect(e.data, c.name).toBeUndefined();
      expect(r.stderr, c.name).toContain(`error ${c.status} ${c.code}: `);
      expect(existsSync(out), `${c.name}: no output written`).toBe(false);
    });
    console.log('error table, CLI:\n' + rows.sort().join('\n'));
  }, 360_000); // ~35 CLI runs, four of them start Chromium: a shared 2-core machine needs more than the default

  it('exits 1 with 500 SERVICE_INTERNAL_ERROR saying what failed (corrupt model)', async () => {
    const model = join(TMP, 'corrupt.task');
    writeFileSync(model, new Uint8Array(1000).fill(7));
    const bad = await cli(['reshape', JPEG_FIXTURE, '--shape', '8', '--strength', '1', '--out', join(TMP, 'm.jpg'), '--model', model, '--json']);
    const e = envelope(bad);
    expect([bad.code, e.error_code, e.error_detail.code]).toEqual([1, 500, 'SERVICE_INTERNAL_ERROR']);
    expect(bad.stderr).toContain('error 500 SERVICE_INTERNAL_ERROR');
    expect(e.error_detail.message).toMatch(/MODEL_LOAD_FAILED/);
  });

  it('checks that --out can be written before any work (exit 2, Chromium never started)', async () => {
    const dirOut = join(TMP, 'a-folder.png');
    mkdirSync(dirOut);
    const file = join(TMP, 'a-file');
    writeFileSync(file, 'x');
    for (const [out, msg] of [
      [dirOut, /is a folder/],
      [join(TMP, 'no-such-folder', 'x.png'), /does not exist/],
      [join(file, 'x.png'), /is not a folder/],
    ] as Array<[string, RegExp]>) {
      const probe = noChromium();
      const r = await cli(['reshape', JPEG_FIXTURE, '--shape', '8', '--strength', '1', '--out', out, '--json'], probe.env);
      const e = envelope(r);
      expect([r.code, e.error_code, e.error_detail.code], out).toEqual([2, 400, 'ERROR_INVALID_PARAMETER']);
      expect(e.error_detail.message, out).toMatch(msg);
      expect(probe.started(), `${out}: Chromium was started`).toBe(false);
    }
  });

  it('takes negative numbers as option values and validates them into the envelope (422), not a usage text', async () => {
    for (const args of [
      ['--shape', '-1', '--strength', '0.5'],
      ['--shape', '2', '--strength', '-0.1'],
      ['--shape', '2', '--strength', '-.5'],
    ]) {
      const probe = noChromium();
      const r = await cli(['reshape', PNG_FIXTURE, ...args, '--out', join(TMP, 'neg.png'), '--json'], probe.env);
      const e = envelope(r);
      expect([r.code, e.error_code, e.error_detail.code], args.join(' ')).toEqual([2, 422, 'UNSUPPORTED_PARAMETER_VALUES']);
      expect(r.stderr, args.join(' ')).not.toMatch(/Usage:/);
      expect(probe.started()).toBe(false);
    }
  });

  it('prints an envelope for usage errors with --json (unknown option, unknown command, missing value)', async () => {
    for (const [args, msg] of [
      [['reshape', PNG_FIXTURE, '--bogus', '--json'], /Unknown option '--bogus'/],
      [['frobnicate', '--json'], /unknown command "frobnicate"/],
      [['reshape', PNG_FIXTURE, '--json', '--shape'], /--shape/],
      [['detect', '--json'], /at least one input/],
      [['detect', PNG_FIXTURE, '--max-faces', 'zero', '--json'], /--max-faces must be a positive integer/],
    ] as Array<[string[], RegExp]>) {
      const r = await cli(args);
      const e = envelope(r);
      expect([r.code, e.error_code, e.error_detail.code], args.join(' ')).toEqual([2, 400, 'ERROR_INVALID_PARAMETER']);
      expect(e.error_detail.message, args.join(' ')).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('reads IN from stdin and writes OUT to stdout with -', async () => {
    const r = await new Promise<{ code: number | null; out: Buffer; err: string }>((done) => {
      const p = spawn(process.execPath, [BIN, 'reshape', '-', '--shape', '2', '--strength', '0.5', '--out', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      p.stdout.on('data', (d) => out.push(d));
      p.stderr.on('data', (d) => (err += d));
      p.on('close', (code) => done({ code, out: Buffer.concat(out), err }));
      p.stdin.end(readFileSync(JPEG_FIXTURE));
    });
    expect(r.code, r.err).toBe(0);
    const png = PNG.sync.read(r.out);
    expect([png.width, png.height]).toEqual([512, 600]);
    expect(r.err).toMatch(/→ stdout: 512×600, 1 face/);
    // `--out -` and --json both want stdout.
    const both = await cli(['reshape', PNG_FIXTURE, '--shape', '2', '--strength', '0.5', '--out', '-', '--json']);
    expect([both.code, envelope(both).error_detail.code]).toEqual([2, 'ERROR_INVALID_PARAMETER']);
  });

  it('writes PNG or JPEG by OUT extension, same size; shape names, several --edit in one pass, --backend cpu', async () => {
    const png = join(TMP, 'named.png');
    const jpg = join(TMP, 'edits.jpeg');
    const cpu = join(TMP, 'cpu.jpg');
    const [a, b, c] = await pool(
      [
        ['reshape', JPEG_FIXTURE, '--shape', 'slim_face', '--strength', '0.8', '--out', png, '--json'],
        ['reshape', PNG_FIXTURE, '--edit', 'big_eyes=0.6', '--edit', 'slim_face=-0.4', '--edit', '19=0.5', '--out', jpg, '--json'],
        ['reshape', PNG_FIXTURE, '--shape', '14', '--strength', '1', '--out', cpu, '--backend', 'cpu'],
      ],
      (args) => cli(args),
    );
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0);
    expect(envelope(a).data.image_url).toBe(pathToFileURL(png).href);
    expect(envelope(b).data.image_url).toBe(pathToFileURL(jpg).href);
    expect(c.stdout).toMatch(/→ .*cpu\.jpg: 512×512, 1 face\(s\) reshaped/);
    const outPng = readFileSync(png);
    expect([...outPng.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect([PNG.sync.read(outPng).width, PNG.sync.read(outPng).height]).toEqual([512, 600]);
    for (const f of [jpg, cpu]) {
      const bytes = readFileSync(f);
      expect([...bytes.subarray(0, 3)], f).toEqual([0xff, 0xd8, 0xff]);
      const d = jpeg.decode(bytes);
      expect([d.width, d.height], f).toEqual([512, 512]);
    }
    // The edits changed the image (one pass, several edits): compare with the input pixels.
    const src = PNG.sync.read(readFileSync(PNG_FIXTURE));
    const d = jpeg.decode(readFileSync(jpg));
    let diff = 0;
    for (let i = 0; i < d.data.length; i += 4) diff += Math.abs(d.data[i] - src.data[i]);
    expect(diff / (512 * 512)).toBeGreaterThan(1);
  });

  it('falls back to the CPU warp with a warning on stderr when no WebGPU adapter exists', async () => {
    const wrapper = join(TMP, 'chromium-without-webgpu.sh');
    writeFileSync(
      wrapper,
      `#!/bin/bash\nargs=()\nfor a in "$@"; do case "$a" in --enable-unsafe-webgpu|--use-webgpu-adapter=*|--enable-features=Vulkan) ;; *) args+=("$a");; esac; done\n` +
        `exec "${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}" "\${args[@]}" --disable-features=WebGPU,Vulkan\n`,
    );
    chmodSync(wrapper, 0o755);
    const out = join(TMP, 'fallback.png');
    const r = await cli(['reshape', PNG_FIXTURE, '--shape', '8', '--strength', '1', '--out', out, '--json'], { CHROMIUM_PATH: wrapper });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: No WebGPU adapter .*Falling back to the CPU warp/);
    expect(envelope(r).error_code).toBe(0);
    expect(PNG.sync.read(readFileSync(out)).width).toBe(512);
  });

  it('argument errors come back as envelopes too (exit 2)', async () => {
    const faceless = join(TMP, 'faceless.png');
    writeFileSync(faceless, facelessPng());
    const runs = await pool(
      [
        [['reshape', PNG_FIXTURE, '--shape', '2', '--strength', '0.5', '--json'], 'MISSING_PARAMETERS', /--out/],
        [['reshape', PNG_FIXTURE, '--shape', '2', '--strength', '0.5', '--out', join(TMP, 'x.gif'), '--json'], 'ERROR_INVALID_PARAMETER', /\.png, \.jpg or \.jpeg/],
        [['reshape', PNG_FIXTURE, '--edit', 'big_eyes', '--out', join(TMP, 'x.png'), '--json'], 'ERROR_INVALID_PARAMETER', /NAME=X/],
        [['reshape', PNG_FIXTURE, '--edit', 'big_eyes=-1.5', '--out', join(TMP, 'x.png'), '--json'], 'UNSUPPORTED_PARAMETER_VALUES', /\[-1, 1\]/],
        [['reshape', PNG_FIXTURE, '--shape', 'huge_nose', '--strength', '1', '--out', join(TMP, 'x.png'), '--json'], 'ERROR_INVALID_PARAMETER', /slim_face/],
        [['reshape', '/nonexistent.png', '--shape', '2', '--strength', '1', '--out', join(TMP, 'x.png'), '--json'], 'ERROR_INVALID_PARAMETER', /Cannot read/],
        [['reshape', PNG_FIXTURE, '--shape', '2', '--strength', '1', '--out', join(TMP, 'x.png'), '--backend', 'metal', '--json'], 'ERROR_INVALID_PARAMETER', /--backend/],
      ] as Array<[string[], string, RegExp]>,
      async ([args, code, msg]) => {
        const probe = noChromium();
        return { r: await cli(args, probe.env), code, msg, started: probe.started() };
      },
      4,
    );
    for (const { r, code, msg, started } of runs) {
      const e = envelope(r);
      expect([r.code, e.error_detail.code], r.stderr).toEqual([2, code]);
      expect(e.error_detail.message).toMatch(msg);
      expect(started, 'argument errors are answered without starting Chromium').toBe(false);
    }
  });
});
