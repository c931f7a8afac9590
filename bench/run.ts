// npm run bench [-- --json] [-- --runs N] [-- --only still,video,first,serve,cli,scaleout,file] [-- --library DIR]
// npm run bench:gpu  (the same as --gpu): on the machine's real GPU, no SwiftShader; refuses (exit 2) on an emulated adapter.
// Medians (ms) measured side by side in one run, in headless Chromium (contract section 7).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startRuntime } from '../packages/face-reshape/src/node/runtime';
import { testMounts, SHARED_FIXTURES, TESTBED } from '../test/support/env';
import { benchFirstResult } from './first-result';
import { runBenchInPage, runVideoBenchInPage } from './page';
import { benchThroughput, describeThroughput, type ThroughputBenchResult } from './throughput';
import { benchCli, describeCli, type CliBenchResult } from './cli';
import { benchScaleout, describeScaleout, type ScaleoutResult } from './scaleout';
import { runFileVideoBenchInPage } from './video-file';

const args = process.argv.slice(2);
const json = args.includes('--json');
const gpu = args.includes('--gpu');
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 15;
// --only: measure only those parts (a shared machine: keep runs short). 'file' is the 1080p file-source video.
const onlyArg = args.indexOf('--only');
const only = new Set(onlyArg >= 0 ? args[onlyArg + 1].split(',') : gpu ? ['still', 'file'] : ['still', 'video', 'first', 'serve', 'cli', 'scaleout']);
// A frontal, large face: the shared fixture when present, else the committed Debian portrait.
const shared = resolve(SHARED_FIXTURES, 'faces/face08_sergey_frontal.png');
const source = existsSync(shared) ? '/fixtures/faces/face08_sergey_frontal.png' : '/test-fixtures/grace_hopper.jpg';
// A group photo with small faces for the tile pass: the shared classroom, else the committed astronaut (a 92-px face).
const group = existsSync(resolve(SHARED_FIXTURES, 'faces/face21_classroom_many_small.jpg')) ? '/fixtures/faces/face21_classroom_many_small.jpg' : '/test-fixtures/astronaut.png';

// The real adapter: no --use-webgpu-adapter=swiftshader (packages/face-reshape/src/node/chromium.ts reads this at launch).
if (gpu) process.env.FACE_RESHAPE_WEBGPU_ADAPTER = 'default';

// --library DIR: another build of the library (a test bed build, e.g. an older commit's .testbed/) for before/after runs.
const libArg = args.indexOf('--library');
const rt = await startRuntime({ mounts: testMounts(), libraryDir: libArg >= 0 ? resolve(args[libArg + 1]) : TESTBED });
let exitCode = 0;
try {
  const { page, foreignRequests } = await rt.newPage();
  if (gpu) {
    const adapter = await page.evaluate(async () => {
      const a = await (navigator as any).gpu?.requestAdapter();
      if (!a) return null;
      const i = a.info ?? {};
      return { text: [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' '), fallback: i.isFallbackAdapter === true || a.isFallbackAdapter === true };
    });
    if (!adapter || adapter.fallback || /swiftshader/i.test(adapter.text)) {
      const what = !adapter ? 'no WebGPU adapter at all' : `an emulated adapter (${adapter.text || 'unnamed'}${adapter.fallback ? ', isFallbackAdapter' : ''})`;
      console.error(
        `bench:gpu: Chromium found ${what}, not a real GPU, so there is nothing to report: these figures are for a GPU. ` +
          'Run it on a machine with a GPU and its driver (Vulkan on Linux), or use `npm run bench` for the SwiftShader figures.',
      );
      exitCode = 2;
    }
  }
  if (exitCode === 0) {
    const still = only.has('still') ? await page.evaluate(runBenchInPage, source, runs, group) : {};
    const video = only.has('video') ? await page.evaluate(runVideoBenchInPage, source, Math.max(20, runs * 2)) : {};
    const file = only.has('file') ? await page.evaluate(runFileVideoBenchInPage, source, 5) : {};
    const first = only.has('first') ? await benchFirstResult(rt, '/test-fixtures/grace_hopper.jpg', 5) : {};
    // face-reshape serve against the same pool of pages calling reshape() directly, concurrency 2 × pool
    const serve = only.has('serve') ? await benchThroughput({ requests: Math.max(24, runs * 2), pool: 2 }) : {};
    const cli = only.has('cli') ? await benchCli() : {};
    // nginx in front of 1, then 2 instances (pool 2 each), results in Redis
    const scaleout = only.has('scaleout') ? await benchScaleout({ requests: Math.max(24, runs * 3), concurrency: 8 }) : {};
    const r: Record<string, any> = { ...still, ...video, ...file, ...first, ...serve, ...cli, ...scaleout };
    if (foreignRequests.length) throw new Error(`the bench page requested other hosts: ${foreignRequests.join(', ')}`);
    if (json) process.stdout.write(JSON.stringify(r) + '\n');
    else report(r);
  }
} finally {
  await rt.close();
}
process.exitCode = exitCode;

function report(r: Record<string, any>): void {
  const f = (v: number) => v.toFixed(2).padStart(9);
  if (r.gpu_copy_1080p_ms !== undefined) {
    console.log(`webgpu-face-reshape bench — ${r.image}, face ${r.face_width_px} px, warp region ${(r.field_region_px / 1e6).toFixed(2)} Mpx, ${r.runs} runs, adapter: ${r.device}`);
    console.log(`gpu_copy_1080p_ms     ${f(r.gpu_copy_1080p_ms)}   (yardstick: full-frame bilinear sample into a new texture)`);
    console.log(`gpu_warp_1080p_ms     ${f(r.gpu_warp_1080p_ms)}   (all 22 shapes at 1: field (built on the ${r.gpu_field_build}, the 'auto' choice here) + warp, until onSubmittedWorkDone)`);
    console.log(`  ratio to yardstick  ${f(r.ratio_gpu_warp_to_copy)}   (target ≤ 0.5)`);
    console.log(`  field on the GPU    ${f(r.gpu_warp_gpu_field_1080p_ms)}   (plan ${r.field_plan_ms.toFixed(2)} ms on the CPU, field in compute passes; ratio ${(r.gpu_warp_gpu_field_1080p_ms / r.gpu_copy_1080p_ms).toFixed(2)})`);
    console.log(`  field on the CPU    ${f(r.gpu_warp_cpu_field_1080p_ms)}   (built in JavaScript and uploaded; ratio ${(r.gpu_warp_cpu_field_1080p_ms / r.gpu_copy_1080p_ms).toFixed(2)}; warp form: ${r.gpu_warp_form})`);
    if (r.gpu_copy_1080p_timestamp_ms !== undefined) {
      console.log(
        `  GPU timestamps      copy ${r.gpu_copy_1080p_timestamp_ms.toFixed(2)} ms, warp ${r.gpu_warp_1080p_timestamp_ms.toFixed(2)} ms (ratio ${(r.gpu_warp_1080p_timestamp_ms / r.gpu_copy_1080p_timestamp_ms).toFixed(2)}; ` +
          `field on the GPU ${r.gpu_warp_gpu_field_1080p_timestamp_ms.toFixed(2)} ms, uploaded CPU field ${r.gpu_warp_cpu_field_1080p_timestamp_ms.toFixed(2)} ms)`,
      );
    } else if (gpu) {
      console.log(`  GPU timestamps      none: this device has no 'timestamp-query' (Chromium may need --enable-dawn-features=allow_unsafe_apis)`);
    }
    console.log(`cpu_warp_1080p_ms     ${f(r.cpu_warp_1080p_ms)}   (CPU reference warp, same field; target ≤ 35)`);
    console.log(`field_build_ms        ${f(r.field_build_ms)}   (the field on the CPU, as the CPU backend builds it)`);
    console.log(`detect_ms             ${f(r.detect_ms)}   (landmarks, CPU delegate, IMAGE mode, no tiling)`);
    console.log(`detect_tiled_ms       ${f(r.detect_tiled_ms)}   ('auto' tiling on ${r.detect_tiled_image})`);
    console.log(`reshape_e2e_webgpu_ms ${f(r.reshape_e2e_webgpu_ms)}   (reshape() of the 1080p photo as JPEG bytes to a JPEG Blob, detection included)`);
    console.log(
      `  stages (timings)    decode ${r.e2e_decode_ms.toFixed(1)}, detect ${r.e2e_detect_ms.toFixed(1)}, field ${r.e2e_field_ms.toFixed(1)}, upload ${r.e2e_upload_ms.toFixed(1)}, ` +
        `warp ${r.e2e_warp_ms.toFixed(1)}, readback ${r.e2e_readback_ms.toFixed(1)}, encode ${r.e2e_encode_ms.toFixed(1)}: sum ${r.e2e_stages_sum_ms.toFixed(1)} ms`,
    );
    console.log(`  ratio to inherent   ${f(r.ratio_e2e_to_inherent)}   (e2e / (decode + detect + encode); goal ≤ 1.25)`);
  }
  if (r.video_640x480_fps !== undefined) {
    const bound = 800 / (r.video_detect_ms + r.video_field_ms);
    console.log(`video_640x480_fps     ${f(r.video_640x480_fps)}   (VideoReshaper.renderFrame back to back; ${r.video_backend}, upload ${r.video_upload}, present ${r.video_present}; goal ≥ ${bound.toFixed(1)} = 0.8 × 1000 / (detect + field))`);
    console.log(`  per frame: detect ${r.video_detect_ms.toFixed(1)} ms, track+smooth ${r.video_track_ms.toFixed(1)} ms, field ${r.video_field_ms.toFixed(1)} ms, render ${r.video_render_ms.toFixed(1)} ms, total ${r.video_total_ms.toFixed(1)} ms`);
    if (r.video_worker_640x480_fps !== undefined) {
      const wb = 800 / (r.video_worker_detect_ms + r.video_worker_field_ms);
      console.log(`video_worker_640x480_fps ${f(r.video_worker_640x480_fps)}   (worker: true, detect worker ∥ render worker, three renderFrame calls open; ${r.video_worker_backend}; goal ≥ ${wb.toFixed(1)})`);
      console.log(
        `  per frame: detect ${r.video_worker_detect_ms.toFixed(1)} ms, track+smooth ${r.video_worker_track_ms.toFixed(1)} ms, field ${r.video_worker_field_ms.toFixed(1)} ms, ` +
          `render ${r.video_worker_render_ms.toFixed(1)} ms; ${(r.video_worker_overlapped * 100).toFixed(0)} % of frames detected during the previous one's warp`,
      );
    }
  }
  if (r.video_file_1080p_fps !== undefined) {
    console.log(`video_file_1080p_fps  ${f(r.video_file_1080p_fps)}   (VideoReshaper on a playing <video>, ${r.video_file_source}; ${r.video_file_backend}; ${r.video_file_1080p_dropped} frames dropped; goal on a GPU ≥ 30)`);
    if (r.video_file_note) console.log(`  note: ${r.video_file_note}`);
  }
  if (r.first_result_ms !== undefined) {
    const p = (v: number | null) => (v === null ? '—' : v.toFixed(0));
    console.log(`first_result_ms       ${f(r.first_result_ms)}   (fresh incognito page: create() + first reshape() of a 512x600 JPEG; create ${p(r.first_result_create_ms)}, reshape ${p(r.first_result_reshape_ms)})`);
    console.log(
      `  parts: wasm compile ${p(r.first_result_wasm_compile_ms)} ∥ model fetch ${p(r.first_result_model_fetch_ms)}, graph init ${p(r.first_result_graph_init_ms)}, ` +
        `first detect ${p(r.first_result_first_detect_ms)}, first warp ${p(r.first_result_first_warp_ms)}`,
    );
  }
  if (r.serve_throughput_rps !== undefined) for (const line of describeThroughput(r as ThroughputBenchResult)) console.log(line);
  if (r.cli_cold_ms !== undefined) for (const line of describeCli(r as CliBenchResult)) console.log(line);
  if (r.scaleout_rps_1 !== undefined) for (const line of describeScaleout(r as ScaleoutResult)) console.log(line);
}
