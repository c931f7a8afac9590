import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { parseFacialAestheticsRequest } from '../../src/compat/params';
import { envelopeFromError, errorEnvelope, successEnvelope } from '../../src/compat/envelope';
import { ERROR_CODES, FaceReshapeError } from '../../src/errors';
import { exifOrientation, findCorruption, readImageHeader } from '../../src/image/header';
import { sniffFormat } from '../../src/image/sniff';
import { CLOUD_LIMITS, nativeLimits, validateEncodedBlob, validateEncodedBytes } from '../../src/image/validate';
import { bmpBytes, concat, jpegDeclaring, JPEG_FIXTURE, pngBomb, pngBytes, PNG_FIXTURE } from '../support/compat-cases';

const jpg = new Uint8Array(readFileSync(JPEG_FIXTURE));
const png = new Uint8Array(readFileSync(PNG_FIXTURE));
const gif = new Uint8Array(Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'));
const webpLossless = new Uint8Array(Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'));

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (e) {
    return e instanceof FaceReshapeError ? e.code : `not typed: ${e}`;
  }
}

/** The code a cloud client sees for the failure (the compat envelope's), or 'none'. */
function cloudCodeOf(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (e) {
    return e instanceof FaceReshapeError ? envelopeFromError(e).error_detail.code : `not typed: ${e}`;
  }
}

/** EXIF APP1 with an orientation tag, little-endian this time (the browser test writes big-endian). */
function withExif(j: Uint8Array, o: number): Uint8Array {
  const tiff = [0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, o, 0, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = payload.length + 2;
  return concat([j.subarray(0, 2), new Uint8Array([0xff, 0xe1, len >> 8, len & 0xff, ...payload]), j.subarray(2)]);
}

describe('sniffing and headers', () => {
  it('names the format from the bytes', () => {
    expect(sniffFormat(jpg)).toBe('jpeg');
    expect(sniffFormat(png)).toBe('png');
    expect(sniffFormat(bmpBytes(20, 20, new Uint8Array(1600), 24))).toBe('bmp');
    expect(sniffFormat(gif)).toBe('gif');
    expect(sniffFormat(webpLossless)).toBe('webp');
    expect(sniffFormat(new Uint8Array([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]))).toBe('tiff');
    expect(sniffFormat(new TextEncoder().encode('  <?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('svg');
    expect(sniffFormat(new TextEncoder().encode('BM is how this text starts'))).toBe('unknown');
    expect(sniffFormat(new Uint8Array(0))).toBe('unknown');
    expect(sniffFormat(new Uint8Array([0xff, 0xd8]))).toBe('unknown');
  });

  it('reads dimensions from JPEG SOF, PNG IHDR, BMP, GIF and WebP headers, and EXIF orientation', () => {
    expect(readImageHeader(jpg, 'jpeg')).toMatchObject({ width: 512, height: 600, orientation: 1 });
    expect(readImageHeader(png, 'png')).toMatchObject({ width: 512, height: 512 });
    expect(readImageHeader(bmpBytes(30, 17, new Uint8Array(30 * 17 * 4), 32, true), 'bmp')).toMatchObject({ width: 30, height: 17 });
    expect(readImageHeader(gif, 'gif')).toMatchObject({ width: 1, height: 1 });
    expect(readImageHeader(webpLossless, 'webp')).toMatchObject({ width: 1, height: 1 });
    const small = new Uint8Array(jpeg.encode({ width: 40, height: 24, data: Buffer.alloc(40 * 24 * 4, 128) }, 90).data);
    for (let o = 1; o <= 8; o++) {
      const h = readImageHeader(withExif(small, o), 'jpeg')!;
      expect([h.orientation, h.width, h.height, h.uprightWidth, h.uprightHeight]).toEqual(o >= 5 ? [o, 40, 24, 24, 40] : [o, 40, 24, 40, 24]);
    }
    expect(exifOrientation(new Uint8Array([0x49, 0x49, 0x2a, 0]))).toBeNull();
    expect(readImageHeader(jpg.subarray(0, 100), 'jpeg')).toBeNull();
    expect(readImageHeader(png.subarray(0, 20), 'png')).toBeNull();
  });

  it('finds damage the browser lets through: PNG CRC errors, cut chunks, truncated BMP pixel data', () => {
    expect(findCorruption(png, 'png')).toBeNull();
    const bad = png.slice();
    bad[1000] ^= 0xff;
    expect(findCorruption(bad, 'png')).toMatch(/CRC/);
    expect(findCorruption(png.subarray(0, png.length - 5), 'png')).toMatch(/truncated/);
    const bmp = bmpBytes(64, 64, new Uint8Array(64 * 64 * 4), 24);
    expect(findCorruption(bmp, 'bmp')).toBeNull();
    expect(findCorruption(bmp.subarray(0, 5000), 'bmp')).toMatch(/truncated/);
  });
});

describe('pre-decode validation order and codes', () => {
  it('applies the cloud limits: type, then size, then header, then resolution (as the cloud client sees the codes)', () => {
    const v = (b: Uint8Array) => cloudCodeOf(() => validateEncodedBytes(b, CLOUD_LIMITS));
    expect(v(jpg)).toBe('none');
    expect(v(png)).toBe('none');
    expect(v(gif)).toBe('UNSUPPORTED_FILE_TYPES');
    // A 4 MB GIF is refused for its type first; a 4 MB JPEG for its size.
    expect(v(concat([gif, new Uint8Array(4 << 20)]))).toBe('UNSUPPORTED_FILE_TYPES');
    expect(v(concat([jpg, new Uint8Array(4 << 20)]))).toBe('FILE_SIZE_EXCEEDS_LIMIT');
    expect(v(concat([jpg, new Uint8Array(3 * 1024 * 1024 - jpg.length)]))).toBe('none'); // exactly 3 MB is allowed
    expect(v(jpg.subarray(0, 20))).toBe('FILE_DECODING_FAILURE'); // cut before the frame header
    expect(v(pngBytes(11, 11, () => [0, 0, 0]))).toBe('none');
    expect(v(pngBytes(11, 10, () => [0, 0, 0]))).toBe('ERROR_LOW_RESOLUTION');
    expect(v(pngBytes(1999, 11, () => [0, 0, 0]))).toBe('none');
    expect(v(jpegDeclaring(jpg, 2000, 600))).toBe('ERROR_HIGH_RESOLUTION');
    const t0 = performance.now();
    expect(v(pngBomb(30000, 30000))).toBe('ERROR_HIGH_RESOLUTION');
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('applies the native limits: WebP and GIF allowed, no size limit, IMAGE_TOO_LARGE past the GPU side limit', async () => {
    const v = (b: Uint8Array, max?: number) => codeOf(() => validateEncodedBytes(b, nativeLimits(max)));
    expect(v(gif)).toBe('none');
    expect(v(webpLossless)).toBe('none');
    expect(v(concat([jpg, new Uint8Array(4 << 20)]))).toBe('none');
    expect(v(pngBomb(30000, 30000))).toBe('IMAGE_TOO_LARGE');
    expect(v(pngBomb(9000, 10), 8192)).toBe('IMAGE_TOO_LARGE');
    expect(v(pngBomb(8192, 10), 8192)).toBe('none');
    expect(v(new TextEncoder().encode('hello'))).toBe('UNSUPPORTED_FORMAT');
    expect(v(jpg.subarray(0, 20))).toBe('DECODE_FAILED');
    // Blob path: sniffs and checks the size before reading the whole file.
    await expect(validateEncodedBlob(new Blob([gif as BlobPart]), CLOUD_LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    await expect(validateEncodedBlob(new Blob([jpg as BlobPart, new Uint8Array(4 << 20)]), CLOUD_LIMITS)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' });
  });
});

describe('compat parameters and envelopes', () => {
  const p = (req: unknown, opts = {}) => cloudCodeOf(() => parseFacialAestheticsRequest(req, opts));
  it('validates missing → type → range, numeric strings accepted', () => {
    expect(parseFacialAestheticsRequest({ image: jpg, shape_type: '8', strength: '0.5' })).toMatchObject({ shapeType: 8, strength: 0.5 });
    expect(parseFacialAestheticsRequest({ image: jpg, shape_type: 21, strength: 0 })).toMatchObject({ shapeType: 21, strength: 0 });
    expect(p({ image: jpg, shape_type: 'abc' })).toBe('MISSING_PARAMETERS'); // missing wins over a wrong type
    expect(p({ image: 'x.jpg', shape_type: 99, strength: 0.5 })).toBe('ERROR_INVALID_PARAMETER'); // type wins over range
    for (const bad of ['abc', '8.5', 8.5, null, [8], true, '0x8', Infinity]) expect(p({ image: jpg, shape_type: bad, strength: 0.5 }), String(bad)).toBe('ERROR_INVALID_PARAMETER');
    for (const bad of ['abc', NaN, null, [0.5], {}]) expect(p({ image: jpg, shape_type: 1, strength: bad }), String(bad)).toBe('ERROR_INVALID_PARAMETER');
    for (const [s, t] of [[22, 0.5], ['-1', 0.5], [1, -0.1], [1, '1.01']]) expect(p({ image: jpg, shape_type: s, strength: t })).toBe('UNSUPPORTED_PARAMETER_VALUES');
    expect(p({ image: jpg, shape_type: 'slim_face', strength: 1 })).toBe('ERROR_INVALID_PARAMETER');
    expect(parseFacialAestheticsRequest({ image: jpg, shape_type: 'slim_face', strength: 1 }, { allowShapeNames: true }).shapeType).toBe(2);
    expect(p({ image: jpg }, { editsGiven: true })).toBe('none');
    expect(p({ image: jpg, strength: 1 }, { editsGiven: true })).toBe('MISSING_PARAMETERS');
  });

  it('builds envelopes with exactly the seed fields', () => {
    const ok = successEnvelope('blob:x');
    expect(Object.keys(ok)).toEqual(['request_id', 'log_id', 'error_code', 'error_code_str', 'error_msg', 'error_detail', 'data']);
    const err = errorEnvelope('FILE_SIZE_EXCEEDS_LIMIT', 'too big');
    expect(Object.keys(err)).toEqual(['request_id', 'log_id', 'error_code', 'error_code_str', 'error_msg', 'error_detail']);
    expect([err.error_code, err.error_detail.status_code, err.error_code_str, err.error_detail.code]).toEqual([413, 413, 'FILE_SIZE_EXCEEDS_LIMIT', 'FILE_SIZE_EXCEEDS_LIMIT']);
    expect(envelopeFromError(new FaceReshapeError('CLOSED', 'closed')).error_detail).toMatchObject({ status_code: 500, code: 'SERVICE_INTERNAL_ERROR', message: 'CLOSED: closed' });
    expect(envelopeFromError(new FaceReshapeError('IMAGE_TOO_LARGE', 'big')).error_detail.code).toBe('ERROR_HIGH_RESOLUTION');
    // Every native cause has its cloud code; those the cloud had none for are its 500, naming the cause.
    const cloud = Object.fromEntries(ERROR_CODES.map((c) => [c, envelopeFromError(new FaceReshapeError(c, 'm')).error_detail.code]));
    expect(cloud).toEqual({
      MISSING_ARGUMENT: 'MISSING_PARAMETERS',
      INVALID_ARGUMENT: 'ERROR_INVALID_PARAMETER',
      OUT_OF_RANGE: 'UNSUPPORTED_PARAMETER_VALUES',
      UNSUPPORTED_FORMAT: 'UNSUPPORTED_FILE_TYPES',
      FILE_TOO_LARGE: 'FILE_SIZE_EXCEEDS_LIMIT',
      DECODE_FAILED: 'FILE_DECODING_FAILURE',
      IMAGE_TOO_SMALL: 'ERROR_LOW_RESOLUTION',
      IMAGE_TOO_LARGE: 'ERROR_HIGH_RESOLUTION',
      NO_FACE: 'ERROR_NO_FACE_IN_FILE',
      WEBGPU_UNAVAILABLE: 'SERVICE_INTERNAL_ERROR',
      DEVICE_LOST: 'SERVICE_INTERNAL_ERROR',
      DETECTOR_LOST: 'SERVICE_INTERNAL_ERROR',
      MODEL_LOAD_FAILED: 'SERVICE_INTERNAL_ERROR',
      CLOSED: 'SERVICE_INTERNAL_ERROR',
      INTERNAL: 'SERVICE_INTERNAL_ERROR',
    });
    expect(envelopeFromError(new FaceReshapeError('DETECTOR_LOST', 'lost')).error_detail.message).toBe('DETECTOR_LOST: lost');
    expect(envelopeFromError(new TypeError('boom')).error_detail.message).toMatch(/TypeError: boom/);
  });
});
