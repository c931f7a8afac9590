// Assemble a MediaPipe Tasks `face_landmarker.task` from the legacy
// @mediapipe/face_mesh assets. Pure: bytes in, bytes out.
import { extractFaceMeshAssets } from './face-mesh-assets';
import { METADATA_NAME, buildModelMetadata, type ModelMetadataSpec } from './metadata';
import { addPlainMeshEnsemble } from './ensemble-graph';
import { addLandmarkRefinement } from './refine-graph';
import { readModel } from './tflite-read';
import type { Model } from './tflite-types';
import { writeModel } from './tflite-write';
import { writeStoredZip } from './zip';

/** Entry names the Face Landmarker task looks up in the bundle. */
export const TASK_ENTRIES = {
  detector: 'face_detector.tflite',
  landmarks: 'face_landmarks_detector.tflite',
  geometry: 'geometry_pipeline_metadata_landmarks.binarypb',
} as const;

const PROVENANCE =
  'Weights: Google MediaPipe (Apache-2.0), from @mediapipe/face_mesh 0.4.1633559619; ' +
  'metadata (and, for the landmark model, in-graph landmark refinement and an ensemble with face_landmark.tflite) ' +
  'added by webgpu-face-reshape.';

// Normalization as in MediaPipe's legacy graphs: the detector takes [-1, 1]
// (mean = std = 127.5), the mesh model [0, 1] (mean 0, std 255).
export const DETECTOR_METADATA: ModelMetadataSpec = {
  name: 'Short Range Face Detection',
  description: `Detects faces (BlazeFace short range). ${PROVENANCE}`,
  version: '1',
  author: 'MediaPipe',
  license: 'Apache-2.0',
  input: { name: 'image', description: 'Input image to be detected.', mean: 127.5, std: 127.5, min: -1, max: 1 },
  outputs: [
    { name: 'raw boxes/keypoints', description: 'Undecoded face bboxes location and keypoints.' },
    { name: 'scores', description: 'Scores of the detected bboxes.' },
  ],
  minParserVersion: '1.0.0',
};

export const LANDMARKS_METADATA: ModelMetadataSpec = {
  name: 'Face mesh ensemble (attention and plain 2020 meshes), 478 landmarks',
  description: `Detects 478 face landmarks (468 mesh + 10 iris). ${PROVENANCE}`,
  version: '1',
  author: 'MediaPipe',
  license: 'Apache-2.0',
  input: { name: 'image', description: 'Input image to be detected.', mean: 0, std: 255, min: 0, max: 1 },
  outputs: [
    { name: 'face_landmarks', description: '478 landmarks, x, y, z in 192-px input units: mean of the attention and plain meshes (eyes, lips, chin, irises: attention).' },
    { name: 'presence', description: 'Presence score logit of the face: the larger of the attention and plain mesh face flags.' },
  ],
  minParserVersion: '1.0.0',
};

/** Append a TFLITE_METADATA entry (the model must not already carry one). */
export function withMetadata(model: Model, spec: ModelMetadataSpec): Model {
  if (model.metadata?.some((m) => m.name === METADATA_NAME)) {
    throw new Error(`model already has ${METADATA_NAME}`);
  }
  const buffers = [...model.buffers, { data: buildModelMetadata(spec) }];
  const metadata = [...(model.metadata ?? []), { name: METADATA_NAME, buffer: buffers.length - 1 }];
  return { ...model, buffers, metadata };
}

export function buildDetectorModel(detector: Uint8Array): Uint8Array {
  return writeModel(withMetadata(readModel(detector, 'face detector'), DETECTOR_METADATA));
}

export function buildLandmarksModel(attentionMesh: Uint8Array, plainMesh: Uint8Array): Uint8Array {
  const refined = addLandmarkRefinement(readModel(attentionMesh, 'face landmarks'));
  const combined = addPlainMeshEnsemble(refined, readModel(plainMesh, 'plain face mesh'));
  return writeModel(withMetadata(combined, LANDMARKS_METADATA));
}

/**
 * @param assetsData bytes of face_mesh_solution_packed_assets.data
 * @param loaderJs text of face_mesh_solution_packed_assets_loader.js
 */
export function buildFaceLandmarkerTask(assetsData: Uint8Array, loaderJs: string): Uint8Array {
  const assets = extractFaceMeshAssets(assetsData, loaderJs);
  return writeStoredZip([
    { name: TASK_ENTRIES.detector, data: buildDetectorModel(assets.detector) },
    { name: TASK_ENTRIES.landmarks, data: buildLandmarksModel(assets.landmarks, assets.plainMesh) },
    { name: TASK_ENTRIES.geometry, data: assets.geometry },
  ]);
}
