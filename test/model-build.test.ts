// @vitest-environment node
// The offline Face Landmarker bundle: reproducible, well-formed, and carrying
// what MediaPipe Tasks needs (metadata, 478-point output, presence second).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { crc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFaceMeshInputs } from '../scripts/build-model';
import { TASK_ENTRIES, buildFaceLandmarkerTask } from '../scripts/model/build-task';
import { extractFaceMeshAssets } from '../scripts/model/face-mesh-assets';
import { METADATA_NAME, readModelMetadata } from '../scripts/model/metadata';
import { LEFT_EYE, LEFT_IRIS, LIPS, RIGHT_EYE, RIGHT_IRIS } from '../scripts/model/refine-indices';
import { MESH_LEN, OUT_LEN, applyRefineMatrices, buildRefineMatrices } from '../scripts/model/refine-matrices';
import { CHIN_POINTS } from '../scripts/model/ensemble-graph';
import { addLandmarkRefinement } from '../scripts/model/refine-graph';
import { readModel } from '../scripts/model/tflite-read';
import { BuiltinOp, opcodeOf, type Model } from '../scripts/model/tflite-types';
import { writeModel } from '../scripts/model/tflite-write';
import { readZip } from '../scripts/model/zip';

const { data, loader } = readFaceMeshInputs();
/** The sha256 models/README.md documents for the bundle. */
const readmeSha = () =>
  /sha256[^0-9a-f]*([0-9a-f]{64})/i.exec(readFileSync(new URL('../models/README.md', import.meta.url), 'utf8'))?.[1];

let task: Uint8Array;
let entries: ReturnType<typeof readZip>;
const entry = (name: string) => entries.find((e) => e.name === name)!.data;
const metadataOf = (m: Model) => {
  const md = m.metadata?.find((x) => x.name === METADATA_NAME);
  expect(md).toBeDefined();
  return readModelMetadata(m.buffers[md!.buffer!].data!);
};

beforeAll(() => {
  task = buildFaceLandmarkerTask(data, loader);
  entries = readZip(task);
});

describe('face_landmarker.task build', () => {
  it('is reproducible and matches the sha256 in models/README.md', () => {
    const again = buildFaceLandmarkerTask(data, loader);
    expect(Buffer.compare(task, again)).toBe(0);
    const sha = createHash('sha256').update(task).digest('hex');
    expect(sha, 'models/README.md must state the sha256 of the built bundle').toBe(readmeSha());
  });

  it('is a zip of three stored entries with valid CRCs', () => {
    expect(entries.map((e) => e.name)).toEqual([TASK_ENTRIES.detector, TASK_ENTRIES.landmarks, TASK_ENTRIES.geometry]);
    for (const e of entries) {
      expect(e.method, e.name).toBe(0);
      expect(e.dataOffset % 16, e.name).toBe(0);
    }
    // Independent CRC check through node's zlib.
    for (const e of entries) expect(e.crc, e.name).toBe(crc32(e.data));
  });

  it('ships the geometry pipeline metadata unchanged', () => {
    expect(Buffer.compare(entry(TASK_ENTRIES.geometry), extractFaceMeshAssets(data, loader).geometry)).toBe(0);
  });

  it('landmark model outputs 478 landmarks (x, y, z, face flags) first, then the presence logit', () => {
    const g = readModel(entry(TASK_ENTRIES.landmarks)).subgraphs[0];
    expect(g.inputs.map((i) => g.tensors[i].shape)).toEqual([[1, 192, 192, 3]]);
    expect(g.outputs.map((i) => g.tensors[i].shape)).toEqual([
      [1, 1, 1, 478 * 4],
      [1, 1, 1, 1],
    ]);
    expect(g.tensors[g.outputs.at(-1)!].name).toBe('presence');
  });

  it('embeds the plain mesh unchanged: landmarks are the mean of the two meshes (eyes, lips, chin, irises: attention) and carry both flags, presence the larger flag', () => {
    const model = readModel(entry(TASK_ENTRIES.landmarks));
    const g = model.subgraphs[0];
    const name = (i: number) => g.tensors[i].name;
    const producer = (t: number) => g.operators.find((op) => op.outputs?.includes(t))!;
    const code = (op: { opcodeIndex?: number }) => opcodeOf(model.operatorCodes[op.opcodeIndex!]);
    expect(g.inputs).toHaveLength(1); // the plain mesh reads the host graph's input

    const presence = producer(g.outputs[1]);
    expect(code(presence)).toBe(BuiltinOp.MAXIMUM);
    expect(presence.inputs!.map(name)).toEqual(['conv_faceflag', 'plain_mesh/conv2d_31']);

    // The landmarks with both face flags as the visibility of points 0 and 1 (face-flags-graph.ts).
    const reshapes = [producer(g.outputs[0])];
    expect(code(reshapes[0])).toBe(BuiltinOp.RESHAPE);
    const withFlags = producer(reshapes[0].inputs![0]);
    expect(code(withFlags)).toBe(BuiltinOp.CONCATENATION);
    const [points, visibility] = withFlags.inputs!.map(producer);
    expect([code(points), code(visibility)]).toEqual([BuiltinOp.RESHAPE, BuiltinOp.PAD]);
    const flags = producer(producer(visibility.inputs![0]).inputs![0]);
    expect(code(flags)).toBe(BuiltinOp.CONCATENATION);
    expect(flags.inputs!.map(name)).toEqual(['conv_faceflag', 'plain_mesh/conv2d_31']);
    const pad = g.tensors[visibility.inputs![1]];
    const padBytes = model.buffers[pad.buffer!].data!;
    expect(Array.from(new Int32Array(padBytes.buffer.slice(padBytes.byteOffset, padBytes.byteOffset + padBytes.byteLength)))).toEqual([0, 0, 0, 476, 0, 0]);

    const mean = producer(points.inputs![0]);
    expect(code(mean)).toBe(BuiltinOp.ADD);
    const [hostMul, plainMul] = mean.inputs!.map(producer);
    expect([code(hostMul), code(plainMul)]).toEqual([BuiltinOp.MUL, BuiltinOp.MUL]);
    expect(name(hostMul.inputs![0])).toBe('attention/landmarks');
    expect(name(producer(plainMul.inputs![0]).inputs![0])).toBe('plain_mesh/conv2d_21');
    const weights = (op: { inputs?: number[] }) => {
      const t = g.tensors[op.inputs![1]];
      const bytes = model.buffers[t.buffer!].data!;
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    };
    const [wh, wp] = [weights(hostMul), weights(plainMul)];
    const attentionOnly = new Set<number>([...LIPS, ...LEFT_EYE, ...RIGHT_EYE, ...CHIN_POINTS]);
    for (let i = 0; i < OUT_LEN; i++) {
      const point = Math.floor(i / 3);
      expect(wh[i] + wp[i]).toBe(1);
      // Irises, the refined eye and lip points and the chin: attention only; the rest of the mesh: the mean.
      expect(wp[i]).toBe(i < MESH_LEN && !attentionOnly.has(point) ? 0.5 : 0);
    }

    const assets = extractFaceMeshAssets(data, loader);
    const plain = readModel(assets.plainMesh).subgraphs[0];
    const host = addLandmarkRefinement(readModel(assets.landmarks)).subgraphs[0];
    const embedded = g.operators.slice(host.operators.length, host.operators.length + plain.operators.length);
    embedded.forEach((op, k) => {
      expect(isDeepStrictEqual(op.builtinOptions, plain.operators[k].builtinOptions)).toBe(true);
      expect(op.inputs!.length).toBe(plain.operators[k].inputs!.length);
    });
    const plainWeights = plain.tensors.filter((t) => (t.buffer ?? 0) > 0).length;
    expect(g.tensors.filter((t) => t.name?.startsWith('plain_mesh/')).filter((t) => (t.buffer ?? 0) > 0).length).toBe(plainWeights + 1); // + the PAD amounts
  });

  it('both models carry M001 metadata with the right normalization', () => {
    const det = metadataOf(readModel(entry(TASK_ENTRIES.detector)));
    expect(det.inputs).toEqual([{ name: 'image', colorSpace: 1, mean: [127.5], std: [127.5] }]);
    expect(det.outputs).toHaveLength(2);
    const lm = metadataOf(readModel(entry(TASK_ENTRIES.landmarks)));
    expect(lm.inputs).toEqual([{ name: 'image', colorSpace: 1, mean: [0], std: [255] }]);
    expect(lm.outputs).toHaveLength(2);
  });

  it('keeps the original graphs intact (round trip, custom op options)', () => {
    const assets = extractFaceMeshAssets(data, loader);
    for (const [src, built] of [
      [assets.detector, entry(TASK_ENTRIES.detector)],
      [assets.landmarks, entry(TASK_ENTRIES.landmarks)],
    ]) {
      // (The plain mesh is appended after these, so prefixes compare.)
      const original = readModel(src);
      expect(isDeepStrictEqual(readModel(writeModel(original)), original)).toBe(true);
      const out = readModel(built);
      const [g0, g1] = [original.subgraphs[0], out.subgraphs[0]];
      // node's deep equality: vitest's toEqual is slow on megabytes of weights.
      expect(isDeepStrictEqual(g1.operators.slice(0, g0.operators.length), g0.operators)).toBe(true);
      expect(isDeepStrictEqual(g1.tensors.slice(0, g0.tensors.length), g0.tensors)).toBe(true);
      expect(isDeepStrictEqual(out.buffers.slice(0, original.buffers.length), original.buffers)).toBe(true);
      expect(g1.operators.filter((op) => op.customOptions).length).toBe(g0.operators.filter((op) => op.customOptions).length);
    }
  });

  it('fails clearly on a truncated assets file', () => {
    expect(() => buildFaceLandmarkerTask(data.subarray(0, 3_000_000), loader)).toThrow(/truncated/);
    expect(() => buildFaceLandmarkerTask(data, 'nothing here')).toThrow(/no "files" table/);
    const garbled = data.slice();
    garbled.fill(0, 0, 64);
    expect(() => buildFaceLandmarkerTask(garbled, loader)).toThrow(/not a TFLite model/);
    const flipped = data.slice();
    flipped[100_000] ^= 1; // inside the weights: structurally valid, caught by the hash
    expect(() => buildFaceLandmarkerTask(flipped, loader)).toThrow(/sha256 .* is not the expected/);
  });
});

describe('landmark refinement matrices', () => {
  it('reproduce LandmarksRefinementCalculator', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 192;
    const mesh = Float32Array.from({ length: MESH_LEN }, rand);
    const parts = [LIPS, LEFT_EYE, RIGHT_EYE, LEFT_IRIS.indices, RIGHT_IRIS.indices].map((p) =>
      Float32Array.from({ length: 2 * p.length }, rand),
    );
    // Reference: the calculator's semantics written out directly.
    const expected = new Float32Array(OUT_LEN);
    expected.set(mesh);
    [LIPS, LEFT_EYE, RIGHT_EYE, LEFT_IRIS.indices, RIGHT_IRIS.indices].forEach((targets, k) =>
      targets.forEach((t, j) => {
        expected[t * 3] = parts[k][2 * j];
        expected[t * 3 + 1] = parts[k][2 * j + 1];
      }),
    );
    for (const iris of [LEFT_IRIS, RIGHT_IRIS]) {
      const z = iris.zAverageOf.reduce((s, i) => s + mesh[i * 3 + 2], 0) / iris.zAverageOf.length;
      for (const t of iris.indices) expected[t * 3 + 2] = z;
    }
    const got = applyRefineMatrices(buildRefineMatrices(), mesh, parts);
    for (let i = 0; i < OUT_LEN; i++) expect(got[i]).toBeCloseTo(expected[i], 3);
  });

  it('use the index lists of the MediaPipe graph', () => {
    expect([LIPS.length, LEFT_EYE.length, RIGHT_EYE.length]).toEqual([80, 71, 71]);
    expect(new Set([...LIPS, ...LEFT_EYE, ...RIGHT_EYE]).size).toBe(222);
  });
});
