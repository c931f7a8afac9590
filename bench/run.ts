// npm run bench [-- --json] [-- --runs N]
// Medians (ms) measured side by side in one run, in headless Chromium (contract section 7).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startRuntime } from '../packages/face-reshape/src/node/runtime';
import { testMounts, SHARED_FIXTURES, TESTBED } from '../test/support/env';
import { runBenchInPage, runVideoBenchInPage } from './page';
import { benchThroughput, describeThroughput } from './throughput'; // [batch] serve vs in-page at concurrency 2 × pool (was benchServe)
import { benchCli, describeCli } from './cli'; // [batch]
import { benchScaleout, describeScaleout } from './scaleout';

const args = process.argv.slice(2);
const json = args.includes('--json');
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 15;
// A frontal, large face: the shared fixture when present, else the committed Debian portrait.
const shared = resolve(SHARED_FIXTURES, 'faces/face08_sergey_frontal.png');
const source = existsSync(shared) ? '/fixtures/faces/face08_sergey_frontal.png' : '/test-fixtures/grace_hopper.jpg';
// A group photo with small faces for the tile pass: the shared classroom, else the committed astronaut (a 92-px face).
const group = existsSync(resolve(SHARED_FIXTURES, 'faces/face21_classroom_many_small.jpg')) ? '/fixtures/faces/face21_classroom_many_small.jpg' : '/test-fixtures/astronaut.png';

const rt = await startRuntime({ mounts: testMounts(), libraryDir: TESTBED });
try {
  const { page, foreignRequests } = await rt.newPage();
  const still = await page.evaluate(runBenchInPage, source, runs, group);
  const video = await page.evaluate(runVideoBenchInPage, source, Math.max(20, runs * 2));
  const serve = await benchThroughput({ requests: Math.max(24, runs * 2), pool: 2 }); // [batch]
  const cli = await benchCli(); // [batch]
  const scaleout = await benchScaleout({ requests: Math.max(24, runs * 3), concurrency: 8 }); // [scale-out] nginx + 1, then 2 instances
  const r = { ...still, ...video, ...serve, ...cli, ...scaleout }; // [batch] + cli
  if (foreignRequests.length) throw new Error(`the bench page requested other hosts: ${foreignRequests.join(', ')}`);
  if (json) {
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    const f = (v: number) => v.toFixed(2).padStart(9);
    console.log(`webgpu-face-reshape bench — ${r.image}, face ${r.face_width_px} px, warp region ${(r.field_region_px / 1e6).toFixed(2)} Mpx, ${r.runs} runs, adapter: ${r.device}`);
    console.log(`gpu_copy_1080p_ms     ${f(r.gpu_copy_1080p_ms)}   (yardstick: full-frame bilinear sample into a new texture)`);
    console.log(`gpu_warp_1080p_ms     ${f(r.gpu_warp_1080p_ms)}   (all 22 shapes at 1: field (built on the ${r.gpu_field_build}, the 'auto' choice here) + warp, until onSubmittedWorkDone)`);
    console.log(`  ratio to yardstick  ${f(r.ratio_gpu_warp_to_copy)}   (target ≤ 0.5)`);
    console.log(`  field on the GPU    ${f(r.gpu_warp_gpu_field_1080p_ms)}   (plan ${r.field_plan_ms.toFixed(2)} ms on the CPU, field in compute passes; ratio ${(r.gpu_warp_gpu_field_1080p_ms / r.gpu_copy_1080p_ms).toFixed(2)})`);
    console.log(`  field on the CPU    ${f(r.gpu_warp_cpu_field_1080p_ms)}   (built in JavaScript and uploaded; ratio ${(r.gpu_warp_cpu_field_1080p_ms / r.gpu_copy_1080p_ms).toFixed(2)}; warp form: ${r.gpu_warp_form})`);
    if (r.gpu_copy_1080p_timestamp_ms !== undefined) {
      console.log(
        `  GPU timestamps      copy ${r.gpu_copy_1080p_timestamp_ms.toFixed(2)} ms, warp ${r.gpu_warp_1080p_timestamp_ms!.toFixed(2)} ms (ratio ${(r.gpu_warp_1080p_timestamp_ms! / r.gpu_copy_1080p_timestamp_ms).toFixed(2)}; ` +
          `field on the GPU ${r.gpu_warp_gpu_field_1080p_timestamp_ms!.toFixed(2)} ms, uploaded CPU field ${r.gpu_warp_cpu_field_1080p_timestamp_ms!.toFixed(2)} ms)`,
      );
    }
    console.log(`cpu_warp_1080p_ms     ${f(r.cpu_warp_1080p_ms)}   (CPU reference warp, same field; target ≤ 35)`);
    console.log(`field_build_ms        ${f(r.field_build_ms)}   (the field on the CPU, as the CPU backend builds it)`);
    console.log(`detect_ms             ${f(r.detect_ms)}   (landmarks, CPU delegate, IMAGE mode, no tiling)`);
    console.log(`detect_tiled_ms       ${f(r.detect_tiled_ms)}   ('auto' tiling on ${r.detect_tiled_image})`);
    console.log(`reshape_e2e_webgpu_ms ${f(r.reshape_e2e_webgpu_ms)}   (reshape() from an ImageBitmap to an ImageBitmap, faces given)`);
    console.log(`video_640x480_fps     ${f(r.video_640x480_fps)}   (VideoReshaper.renderFrame back to back; ${r.video_backend}, upload ${r.video_upload}, present ${r.video_present})`);
    console.log(`  per frame: detect ${r.video_detect_ms.toFixed(1)} ms, track+smooth ${r.video_track_ms.toFixed(1)} ms, field ${r.video_field_ms.toFixed(1)} ms, render ${r.video_render_ms.toFixed(1)} ms, total ${r.video_total_ms.toFixed(1)} ms`);
    for (const line of [...describeThroughput(serve), ...describeCli(cli)]) console.log(line); // [batch]
    for (const line of describeScaleout(scaleout)) console.log(line);
  }
} finally {
  await rt.close();
}
