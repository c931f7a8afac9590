import type { ImageFormat } from '../image/sniff.js';
import { checkSize, checkType, CLOUD_LIMITS, validateEncodedBytes } from '../image/validate.js';

export { CLOUD_LIMITS };

/** What the pre-decode checks read from a file's header. */
export interface CheckedImage {
  format: ImageFormat;
  mime: string;
  /** Upright size (EXIF orientation applied), from the header: nothing was decoded. */
  width: number;
  height: number;
}

/**
 * The cloud's checks on an encoded image that need no decoding, in its order: file type (sniffed
 * from the bytes), size (3 MB), header, resolution (sides 11–1999 px), structural damage. Throws
 * FaceReshapeError with the cloud's code; cheap enough for a server to run before queueing a job.
 */
export function checkCloudImage(bytes: Uint8Array): CheckedImage {
  const { header, mime } = validateEncodedBytes(bytes, CLOUD_LIMITS);
  return { format: header.format, mime, width: header.uprightWidth, height: header.uprightHeight };
}

/**
 * The first two of those checks on an upload still arriving: its first bytes and its total size
 * so far. A server calls it to refuse an oversized upload while it streams, with the cloud's answer
 * (type before size: 415 for a non-image, else 413).
 */
export function checkCloudUpload(head: Uint8Array, size: number): void {
  checkType(head, size, CLOUD_LIMITS);
  checkSize(size, CLOUD_LIMITS);
}
