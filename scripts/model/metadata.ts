// TFLite model metadata ("M001" FlatBuffer, tflite-support
// metadata_schema.fbs), the subset MediaPipe Tasks reads: per input tensor
// the image colour space and the NormalizationOptions it uses to turn pixels
// into the float range the model was trained on. Without it, tasks-vision
// refuses the model (it cannot know the input range).
import { TableReader, add, createF32s, createRefs, createStr, newBuilder } from './flatbuffer-table';
import type { Builder } from 'flatbuffers';

export const METADATA_NAME = 'TFLITE_METADATA';
export const METADATA_IDENTIFIER = 'M001';

/** metadata_schema.fbs union indices (1-based, 0 = NONE). */
const CONTENT_FEATURE_PROPERTIES = 1; // ContentProperties.FeatureProperties
const CONTENT_IMAGE_PROPERTIES = 2; // ContentProperties.ImageProperties
const PROCESS_UNIT_NORMALIZATION = 1; // ProcessUnitOptions.NormalizationOptions
const COLOR_SPACE_RGB = 1; // ColorSpaceType.RGB

export interface ImageInputMetadata {
  name: string;
  description?: string;
  /** (pixel - mean) / std, pixel in [0, 255]. */
  mean: number;
  std: number;
  /** Range of the normalized values (Stats), informative only. */
  min: number;
  max: number;
}

export interface TensorInfo {
  name: string;
  description?: string;
}

export interface ModelMetadataSpec {
  name: string;
  description?: string;
  version?: string;
  author?: string;
  license?: string;
  input: ImageInputMetadata;
  outputs: TensorInfo[];
  minParserVersion: string;
}

function writeImageInput(b: Builder, t: ImageInputMetadata): number {
  const name = createStr(b, t.name);
  const description = createStr(b, t.description);
  // Content { content_properties: ImageProperties { color_space: RGB } }
  b.startObject(2);
  add.i8(b, 0, COLOR_SPACE_RGB);
  const imageProperties = b.endObject();
  b.startObject(3);
  add.u8(b, 0, CONTENT_IMAGE_PROPERTIES);
  add.ref(b, 1, imageProperties);
  const content = b.endObject();
  // ProcessUnit { options: NormalizationOptions { mean, std } }
  const mean = createF32s(b, [t.mean]);
  const std = createF32s(b, [t.std]);
  b.startObject(2);
  add.ref(b, 0, mean);
  add.ref(b, 1, std);
  const normalization = b.endObject();
  b.startObject(2);
  add.u8(b, 0, PROCESS_UNIT_NORMALIZATION);
  add.ref(b, 1, normalization);
  const processUnits = createRefs(b, [b.endObject()]);
  const stats = writeStats(b, [t.max], [t.min]);
  // TensorMetadata: 0 name, 1 description, 3 content, 4 process_units, 5 stats
  b.startObject(7);
  add.ref(b, 0, name);
  add.ref(b, 1, description);
  add.ref(b, 3, content);
  add.ref(b, 4, processUnits);
  add.ref(b, 5, stats);
  return b.endObject();
}

function writeStats(b: Builder, max?: number[], min?: number[]): number {
  const maxRef = createF32s(b, max);
  const minRef = createF32s(b, min);
  // Stats: 0 max, 1 min
  b.startObject(2);
  add.ref(b, 0, maxRef);
  add.ref(b, 1, minRef);
  return b.endObject();
}

/** Output tensors are plain features, as in Google's own bundle. */
function writeTensorInfo(b: Builder, t: TensorInfo): number {
  const name = createStr(b, t.name);
  const description = createStr(b, t.description);
  b.startObject(0);
  const featureProperties = b.endObject();
  b.startObject(3);
  add.u8(b, 0, CONTENT_FEATURE_PROPERTIES);
  add.ref(b, 1, featureProperties);
  const content = b.endObject();
  const stats = writeStats(b);
  b.startObject(7);
  add.ref(b, 0, name);
  add.ref(b, 1, description);
  add.ref(b, 3, content);
  add.ref(b, 5, stats);
  return b.endObject();
}

/** Serialize a ModelMetadata FlatBuffer with file identifier M001. */
export function buildModelMetadata(spec: ModelMetadataSpec): Uint8Array {
  const b = newBuilder(1024);
  const inputs = createRefs(b, [writeImageInput(b, spec.input)]);
  const outputs = createRefs(b, spec.outputs.map((o) => writeTensorInfo(b, o)));
  // SubGraphMetadata: 2 input_tensor_metadata, 3 output_tensor_metadata
  b.startObject(9);
  add.ref(b, 2, inputs);
  add.ref(b, 3, outputs);
  const subgraphs = createRefs(b, [b.endObject()]);
  const name = createStr(b, spec.name);
  const description = createStr(b, spec.description);
  const version = createStr(b, spec.version);
  const author = createStr(b, spec.author);
  const license = createStr(b, spec.license);
  const minParser = createStr(b, spec.minParserVersion);
  // ModelMetadata: 0 name, 1 description, 2 version, 3 subgraph_metadata,
  // 4 author, 5 license, 7 min_parser_version
  b.startObject(8);
  add.ref(b, 0, name);
  add.ref(b, 1, description);
  add.ref(b, 2, version);
  add.ref(b, 3, subgraphs);
  add.ref(b, 4, author);
  add.ref(b, 5, license);
  add.ref(b, 7, minParser);
  b.finish(b.endObject(), METADATA_IDENTIFIER);
  return b.asUint8Array();
}

/** What tests and the verifier need to know about an input tensor's metadata. */
export interface InputMetadataSummary {
  name?: string;
  colorSpace?: number;
  mean?: number[];
  std?: number[];
}

export interface MetadataSummary {
  name?: string;
  minParserVersion?: string;
  inputs: InputMetadataSummary[];
  outputs: (string | undefined)[];
}

/** Decode the fields of a ModelMetadata buffer that buildModelMetadata writes. */
export function readModelMetadata(bytes: Uint8Array): MetadataSummary {
  const root = TableReader.root(bytes, 'ModelMetadata', METADATA_IDENTIFIER);
  const subgraph = root.tables(3, 'SubGraphMetadata')?.[0];
  const inputs = (subgraph?.tables(2, 'TensorMetadata') ?? []).map((t): InputMetadataSummary => {
    const content = t.table(3, 'Content');
    const image = content?.u8(0) === CONTENT_IMAGE_PROPERTIES ? content.table(1, 'ImageProperties') : undefined;
    const unit = t
      .tables(4, 'ProcessUnit')
      ?.find((u) => u.u8(0) === PROCESS_UNIT_NORMALIZATION)
      ?.table(1, 'NormalizationOptions');
    return { name: t.str(0), colorSpace: image?.i8(0), mean: unit?.f32s(0), std: unit?.f32s(1) };
  });
  const outputs = (subgraph?.tables(3, 'TensorMetadata') ?? []).map((t) => t.str(0));
  return { name: root.str(0), minParserVersion: root.str(7), inputs, outputs };
}
