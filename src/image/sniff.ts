/**
 * File type from the first bytes (magic numbers), never from a file name or MIME type:
 * a PNG named `photo.jpg` is a PNG.
 */
export type ImageFormat = 'jpeg' | 'png' | 'bmp' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heic' | 'ico' | 'svg' | 'pdf' | 'unknown';

/** MIME type of each format we can name. */
const FORMAT_MIME: Record<Exclude<ImageFormat, 'unknown'>, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  bmp: 'image/bmp',
  gif: 'image/gif',
  webp: 'image/webp',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heic: 'image/heic',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
};

/** The MIME type of a sniffed format. */
export function mimeOf(format: ImageFormat): string {
  return format === 'unknown' ? 'application/octet-stream' : FORMAT_MIME[format];
}

/** How many leading bytes sniffFormat() looks at (at most). */
export const SNIFF_BYTES = 512;

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

function ascii(b: Uint8Array, at: number, len: number): string {
  let s = '';
  for (let i = at; i < Math.min(b.length, at + len); i++) s += String.fromCharCode(b[i]);
  return s;
}

/** The image format of `bytes` from its signature; 'unknown' for anything else (text, empty, truncated). */
export function sniffFormat(bytes: Uint8Array): ImageFormat {
  const b = bytes;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  // 'BM' + a plausible DIB header size (12, 16, 40, 52, 56, 64, 108, 124): 'BM' alone is too weak (text can start so).
  if (startsWith(b, [0x42, 0x4d]) && b.length >= 18) {
    const dib = b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24);
    if ([12, 16, 40, 52, 56, 64, 108, 124].includes(dib)) return 'bmp';
  }
  const head6 = ascii(b, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return 'gif';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return 'heic';
  }
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00]) && b.length >= 6 && (b[4] | b[5]) !== 0) return 'ico';
  if (ascii(b, 0, 5) === '%PDF-') return 'pdf';
  // SVG is text: skip a BOM and whitespace, then look for an <svg or <?xml … <svg start.
  const text = ascii(b, 0, SNIFF_BYTES).replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  if (text.startsWith('<svg') || ((text.startsWith('<?xml') || text.startsWith('<!doctype svg') || text.startsWith('<!--')) && text.includes('<svg'))) return 'svg';
  return 'unknown';
}

/** A human name for messages: "a GIF image", "a text or unknown file". */
export function describeFormat(f: ImageFormat): string {
  switch (f) {
    case 'unknown':
      return 'not an image file we recognise (text, an unknown format, or empty)';
    case 'jpeg':
      return 'a JPEG image';
    case 'svg':
      return 'an SVG (vector) image';
    case 'pdf':
      return 'a PDF document';
    default:
      return `a ${f.toUpperCase()} image`;
  }
}
