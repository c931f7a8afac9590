// Locate the model files inside @mediapipe/face_mesh's packed asset blob.
// The legacy solution ships one `.data` file plus an Emscripten loader script
// whose `loadPackage({"files": [...]})` call lists every file's byte range;
// we read those ranges instead of hard-coding offsets.
import { createHash } from 'node:crypto';

export const FACE_MESH_VERSION = '0.4.1633559619';
/**
 * sha256 of that version's face_mesh_solution_packed_assets.data. The bundle's
 * documented sha256 only holds for these exact input bytes, and a flipped bit
 * in the weights would otherwise go unnoticed.
 */
export const ASSETS_SHA256 = 'dbe5905c582c0462cdaea17e7e6ecea92edaa8cccc515c5e2e7291f2cbb5fb99';

export const ASSET_NAMES = {
  landmarks: 'face_landmark_with_attention.tflite',
  plainMesh: 'face_landmark.tflite',
  geometry: 'geometry_pipeline_metadata_landmarks.binarypb',
  detector: 'face_detection_short_range.tflite',
} as const;

export interface PackedFile {
  filename: string;
  start: number;
  end: number;
}

export interface FaceMeshAssets {
  landmarks: Uint8Array;
  /** The 468-point mesh without attention, the ensemble's second network (scripts/model/ensemble-graph.ts). */
  plainMesh: Uint8Array;
  geometry: Uint8Array;
  detector: Uint8Array;
}

/** The file table from the loader script. */
export function parsePackedFileList(loaderJs: string): PackedFile[] {
  const match = /"files"\s*:\s*(\[[^\]]*\])/.exec(loaderJs);
  if (!match) throw new Error('face_mesh assets: no "files" table in the packed assets loader');
  const list: unknown = JSON.parse(match[1]);
  if (!Array.isArray(list)) throw new Error('face_mesh assets: "files" is not a list');
  return list.map((f: Partial<PackedFile>) => {
    if (typeof f.filename !== 'string' || !Number.isInteger(f.start) || !Number.isInteger(f.end)) {
      throw new Error(`face_mesh assets: malformed file entry ${JSON.stringify(f)}`);
    }
    return { filename: f.filename, start: f.start!, end: f.end! };
  });
}

function slice(data: Uint8Array, files: PackedFile[], basename: string): Uint8Array {
  const f = files.find((x) => x.filename.endsWith(`/${basename}`));
  if (!f) throw new Error(`face_mesh assets: ${basename} is not listed in the loader`);
  if (f.start < 0 || f.end <= f.start || f.end > data.length) {
    throw new Error(
      `face_mesh assets: ${basename} spans [${f.start}, ${f.end}) but the assets file has ${data.length} bytes ` +
        `(truncated or mismatched @mediapipe/face_mesh? expected ${FACE_MESH_VERSION})`,
    );
  }
  return data.subarray(f.start, f.end);
}

function checkTflite(bytes: Uint8Array, basename: string): void {
  const id = String.fromCharCode(...bytes.subarray(4, 8));
  if (id !== 'TFL3') throw new Error(`face_mesh assets: ${basename} is not a TFLite model (identifier "${id}")`);
}

export function extractFaceMeshAssets(data: Uint8Array, loaderJs: string): FaceMeshAssets {
  const files = parsePackedFileList(loaderJs);
  const assets = {
    landmarks: slice(data, files, ASSET_NAMES.landmarks),
    plainMesh: slice(data, files, ASSET_NAMES.plainMesh),
    geometry: slice(data, files, ASSET_NAMES.geometry),
    detector: slice(data, files, ASSET_NAMES.detector),
  };
  checkTflite(assets.landmarks, ASSET_NAMES.landmarks);
  checkTflite(assets.plainMesh, ASSET_NAMES.plainMesh);
  checkTflite(assets.detector, ASSET_NAMES.detector);
  const sha = createHash('sha256').update(data).digest('hex');
  if (sha !== ASSETS_SHA256) {
    throw new Error(
      `face_mesh assets: sha256 ${sha} is not the expected ${ASSETS_SHA256} ` +
        `(corrupt file or not @mediapipe/face_mesh ${FACE_MESH_VERSION})`,
    );
  }
  return assets;
}
