import type { Edit } from '../shapes/edits.js';
import { normalizeEdits } from '../shapes/edits.js';
import { FaceReshapeError } from '../errors.js';
import { CLOUD_LIMITS, validateEncodedBlob, validateEncodedBytes, type ValidatedImage } from '../image/validate.js';
import { FaceReshaper, type FaceReshaperOptions } from '../reshaper.js';
import type { Face } from '../types.js';
import { envelopeFromError, successEnvelope, type FacialAestheticsEnvelope } from './envelope.js';
import { parseFacialAestheticsRequest, type FacialAestheticsRequest } from './params.js';

export interface FacialAestheticsOptions {
  /** Reshaper to use; default: one shared reshaper, created on the first call and reused. */
  reshaper?: FaceReshaper;
}

export interface RunFacialAestheticsOptions extends FacialAestheticsOptions {
  /**
   * Further native edits (signed strengths in [-1, 1]) applied in the same single warp pass as
   * `shape_type`/`strength`. With edits given, `shape_type` and `strength` may both be left out.
   */
  edits?: readonly Edit[];
  /** Output type; default: JPEG for JPEG input, PNG for PNG and BMP input. */
  outputType?: 'image/png' | 'image/jpeg';
  /** JPEG quality, default 0.92. */
  quality?: number;
  /** Accept shape names as `shape_type` (the CLI does; the cloud did not). */
  allowShapeNames?: boolean;
}

export interface RunFacialAestheticsResult {
  /** The cloud envelope; on success `data.image_url` is "" for the caller to fill in (blob: or file: URL). */
  envelope: FacialAestheticsEnvelope;
  /** The encoded result on success (same size as the input, upright, no EXIF). */
  output?: Blob;
  /** Faces found on success. */
  faces?: Face[];
  /** Size of the output (that of the upright input) on success. */
  width?: number;
  height?: number;
}

let shared: Promise<FaceReshaper> | null = null;

/**
 * The reshaper the compat layer shares between calls: created on first use, then reused, so a
 * hundred calls use one GPU device and one model. A failed creation is retried on the next call.
 */
export function sharedReshaper(options?: FaceReshaperOptions): Promise<FaceReshaper> {
  if (!shared) {
    const p = FaceReshaper.create(options);
    shared = p;
    p.catch(() => {
      if (shared === p) shared = null;
    });
  }
  return shared;
}

/** Frees the shared reshaper (the next compat call creates a new one). */
export async function closeSharedReshaper(): Promise<void> {
  const p = shared;
  shared = null;
  if (p) (await p.catch(() => null))?.close();
}

function validateBytes(image: Blob | ArrayBuffer | Uint8Array): Promise<ValidatedImage> | ValidatedImage {
  if (image instanceof Blob) return validateEncodedBlob(image, CLOUD_LIMITS);
  const bytes = image instanceof ArrayBuffer ? new Uint8Array(image) : image;
  return validateEncodedBytes(bytes, CLOUD_LIMITS);
}

/**
 * The compat call without publishing: validates like the cloud (contract sections 2 and 5, in
 * this order: missing fields, types, ranges, file type, file size, header, resolution, decoding,
 * faces), reshapes, and returns the envelope plus the encoded image. Never throws.
 * For the CLI (writes a file, `file://` URL) and the HTTP server (serves the bytes).
 */
export async function runFacialAesthetics(req: FacialAestheticsRequest, options: RunFacialAestheticsOptions = {}): Promise<RunFacialAestheticsResult> {
  try {
    const extra = options.edits ?? [];
    const params = parseFacialAestheticsRequest(req, { allowShapeNames: options.allowShapeNames, editsGiven: extra.length > 0 });
    const edits: Edit[] = [];
    if (params.shapeType !== undefined && params.strength !== undefined) edits.push({ shape: params.shapeType, strength: params.strength });
    edits.push(...extra);
    normalizeEdits({ edits }); // typed errors for bad extra edits before any decoding
    const checked = await validateBytes(params.image);
    const reshaper = options.reshaper ?? (await sharedReshaper());
    const blobType = options.outputType ?? (checked.header.format === 'jpeg' ? 'image/jpeg' : 'image/png');
    const result = await reshaper.reshape(new Blob([checked.bytes as BlobPart], { type: checked.mime }), {
      edits,
      output: 'blob',
      blobType,
      quality: options.quality ?? 0.92,
    });
    if (result.faces.length === 0) {
      throw new FaceReshapeError('NO_FACE',
        `No face was found in the ${result.width}×${result.height} image. Use a photo with a clearly visible face (well lit, turned less than about 60°, not too small).`,
      );
    }
    return { envelope: successEnvelope(''), output: result.image, faces: result.faces, width: result.width, height: result.height };
  } catch (e) {
    return { envelope: envelopeFromError(e) };
  }
}

/**
 * The cloud's facial-aesthetics call, on the device: `{ image, shape_type, strength }` in, the
 * cloud's envelope out. Never throws for bad input: errors come back in the envelope.
 *
 * On success `data.image_url` is a `blob:` URL of the result (JPEG in → JPEG out at quality 0.92;
 * PNG or BMP in → PNG out; same size, upright, no EXIF). The URL stays valid until you call
 * `URL.revokeObjectURL(url)` (or the page unloads); revoke it when done to free the memory.
 */
export async function facialAesthetics(req: FacialAestheticsRequest, options: FacialAestheticsOptions = {}): Promise<FacialAestheticsEnvelope> {
  const { envelope, output } = await runFacialAesthetics(req, { reshaper: options.reshaper });
  if (!output) return envelope;
  try {
    envelope.data = { image_url: URL.createObjectURL(output) };
    return envelope;
  } catch (e) {
    return envelopeFromError(e);
  }
}
