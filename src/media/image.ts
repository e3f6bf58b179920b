/**
 * The first-frame image input: fetch or decode it, find out what it really is from its bytes, and
 * hold it to MiniMax's rules (JPG/PNG/WebP, under 20 MB, short side ≥ 300 px, aspect ratio between
 * 2:5 and 5:2) before a job is created, so a bad image costs the caller nothing and a clear message.
 *
 * Sniffing reads headers only (no decoder dependency): enough for format and dimensions. A file
 * whose header is fine but whose pixels are corrupt is left for the provider to reject.
 */
import { AppError, fieldError } from '../errors.js';
import { FetchFailure, safeRequest, type SafeResponse, type UrlPolicy } from '../net/index.js';

/** Re-exported so callers that load images need not import `net/` for the policy type alone. */
export type { UrlPolicy };

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface ImageInfo {
  format: ImageFormat;
  /** As displayed: a JPEG with EXIF orientation 5–8 (rotated 90°) reports its stored height here. */
  width: number;
  height: number;
  mime: string;
  bytes: number;
}

export interface LoadedImage {
  bytes: Buffer;
  info: ImageInfo;
  sourceKind: 'url' | 'data';
}

/** MiniMax's first-frame limits. `maxBytes` is exclusive: the image must be strictly smaller. */
export const IMAGE_RULES = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  minShortSide: 300,
  minAspect: 2 / 5,
  maxAspect: 5 / 2,
});

const MIME: Record<ImageFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const DEFAULT_TIMEOUT_MS = 15_000;
/** Redirects allowed when fetching: CDNs and signed-URL services commonly use one or two. */
const MAX_REDIRECTS = 5;

function make(format: ImageFormat, width: number, height: number, buf: Buffer): ImageInfo | null {
  // A zero dimension means the header defers it (JPEG DNL) or is corrupt; either way we cannot judge it.
  if (width <= 0 || height <= 0) return null;
  return { format, width, height, mime: MIME[format], bytes: buf.length };
}

function sniffPng(buf: Buffer): ImageInfo | null {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return null;
  return make('png', buf.readUInt32BE(16), buf.readUInt32BE(20), buf);
}

/** The EXIF orientation (1–8) from an APP1 segment's payload, or null when absent or unreadable. */
function exifOrientation(seg: Buffer): number | null {
  if (seg.length < 14 || seg.toString('latin1', 0, 6) !== 'Exif\0\0') return null;
  const tiff = seg.subarray(6);
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (o: number): number => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number): number => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  const count = u16(ifd);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (entry + 12 > tiff.length) return null;
    if (u16(entry) !== 0x0112) continue;
    const value = u16(entry + 8); // type SHORT, count 1: the value sits in the first two bytes
    return u16(entry + 2) === 3 && value >= 1 && value <= 8 ? value : null;
  }
  return null;
}

/** SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC) which share the range. */
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function sniffJpeg(buf: Buffer): ImageInfo | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let orientation = 1;
  let i = 2;
  while (i < buf.length) {
    if (buf[i] !== 0xff) return null;
    while (buf[i] === 0xff) i++; // any number of 0xFF fill bytes may precede a marker
    const marker = buf[i++];
    if (marker === undefined) return null;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // standalone markers, no length
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / scan data before any frame header
    if (i + 2 > buf.length) return null;
    const length = buf.readUInt16BE(i);
    if (length < 2 || i + length > buf.length) return null;
    const seg = buf.subarray(i + 2, i + length);
    if (marker === 0xe1) orientation = exifOrientation(seg) ?? orientation;
    if (isFrameHeader(marker)) {
      if (seg.length < 5) return null;
      const height = seg.readUInt16BE(1);
      const width = seg.readUInt16BE(3);
      // Orientations 5–8 rotate by 90°: the picture the user sees (and the provider renders) is transposed.
      return orientation >= 5 ? make('jpeg', height, width, buf) : make('jpeg', width, height, buf);
    }
    i += length;
  }
  return null;
}

function sniffWebp(buf: Buffer): ImageInfo | null {
  if (buf.length < 30 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') return null;
  const data = 20; // first chunk's payload, after its FourCC and size
  switch (buf.toString('latin1', 12, 16)) {
    case 'VP8 ': // lossy: 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height
      if (buf[data + 3] !== 0x9d || buf[data + 4] !== 0x01 || buf[data + 5] !== 0x2a) return null;
      return make('webp', buf.readUInt16LE(data + 6) & 0x3fff, buf.readUInt16LE(data + 8) & 0x3fff, buf);
    case 'VP8L': {
      // lossless: signature 0x2F, then width-1 and height-1 as two 14-bit fields
      if (buf[data] !== 0x2f) return null;
      const bits = buf.readUInt32LE(data + 1);
      return make('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, buf);
    }
    case 'VP8X': // extended (alpha, animation, metadata): 24-bit canvas width-1 and height-1
      return make('webp', buf.readUIntLE(data + 4, 3) + 1, buf.readUIntLE(data + 7, 3) + 1, buf);
    default:
      return null;
  }
}

/**
 * Identifies a JPEG, PNG or WebP image from its bytes and reads its displayed dimensions.
 * Returns null for anything else (GIF, HTML, truncated headers …). Never trusts a file name or
 * Content-Type.
 *
 * @example
 * const info = sniffImage(await readFile('frame.png'));
 * // → { format: 'png', width: 1280, height: 720, mime: 'image/png', bytes: 48213 }
 */
export function sniffImage(buf: Buffer): ImageInfo | null {
  return sniffPng(buf) ?? sniffJpeg(buf) ?? sniffWebp(buf);
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const TOO_BIG = `it must be smaller than ${megabytes(IMAGE_RULES.maxBytes).replace('.0', '')}`;

function ratioText(width: number, height: number): string {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(width, height);
  return width / g <= 50 && height / g <= 50 ? `${width / g}:${height / g}` : `${(width / height).toFixed(2)}:1`;
}

/**
 * Holds an image to MiniMax's first-frame rules, reporting every broken rule at once under
 * `fieldPath` so the caller can fix them in one go.
 *
 * @example
 * checkImageRules({ format: 'png', width: 250, height: 400, mime: 'image/png', bytes: 9000 }, 'first_frame_image');
 * // throws AppError('invalid_image', 'Image is 250×400; the short side must be at least 300 px')
 */
export function checkImageRules(info: ImageInfo, fieldPath: string): void {
  const { width, height } = info;
  const problems: string[] = [];
  if (info.bytes >= IMAGE_RULES.maxBytes) problems.push(`Image is ${megabytes(info.bytes)}; ${TOO_BIG}`);
  if (Math.min(width, height) < IMAGE_RULES.minShortSide) {
    problems.push(`Image is ${width}×${height}; the short side must be at least ${IMAGE_RULES.minShortSide} px`);
  }
  const ratio = width / height;
  if (ratio < IMAGE_RULES.minAspect || ratio > IMAGE_RULES.maxAspect) {
    problems.push(`Image is ${width}×${height} (aspect ratio ${ratioText(width, height)}); the aspect ratio must be between 2:5 and 5:2`);
  }
  if (problems.length > 0) throw new AppError('invalid_image', problems.join('; '), { fields: { [fieldPath]: problems } });
}

const DATA_URI = /^data:([^,]*),(.*)$/is;
const DATA_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/jpg', 'image/png', 'image/webp']);

function decodeDataUri(uri: string, fieldPath: string): Buffer {
  const bad = (message: string): AppError => fieldError(fieldPath, message, 'invalid_image');
  const m = DATA_URI.exec(uri);
  if (!m) throw bad('Image data URI is malformed; expected data:image/png;base64,…');
  const [type = '', ...params] = (m[1] ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (!DATA_TYPES.has(type)) throw bad(`Image data URI type "${type || 'none'}" is not supported; use image/jpeg, image/png or image/webp`);
  if (!params.includes('base64')) throw bad('Image data URI must be base64-encoded (data:image/png;base64,…)');
  const payload = (m[2] ?? '').replace(/\s+/g, ''); // encoders often wrap base64 at 76 columns
  if (payload === '') throw bad('Image data URI is empty');
  const padded = payload.includes('=');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(payload) || (padded ? payload.length % 4 !== 0 : payload.length % 4 === 1)) {
    throw bad('Image data URI is not valid base64');
  }
  // Check the size before decoding so an oversized payload is refused without a second copy in memory.
  const decodedBytes = Math.floor((payload.length * 3) / 4) - (payload.length - payload.replace(/=+$/, '').length);
  if (decodedBytes >= IMAGE_RULES.maxBytes) throw bad(`Image is ${megabytes(decodedBytes)}; ${TOO_BIG}`);
  return Buffer.from(payload, 'base64');
}

async function fetchImage(source: string, opts: LoadImageOptions): Promise<Buffer> {
  const bad = (message: string, cause?: unknown): AppError =>
    new AppError('invalid_image', message, { fields: { [opts.fieldPath]: [message] }, cause });
  let url: URL | null = null;
  try {
    url = new URL(source);
  } catch {
    // reported below, same as an unsupported scheme
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw bad('Image must be an https URL or a data:image/…;base64 URI');

  let res: SafeResponse;
  try {
    res = await safeRequest({
      url: url.href,
      method: 'GET',
      headers: { accept: 'image/jpeg, image/png, image/webp;q=0.9, */*;q=0.1', 'user-agent': 'Reelay image fetcher' },
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes: IMAGE_RULES.maxBytes,
      maxRedirects: MAX_REDIRECTS,
      failOnTooLarge: true,
      policy: opts.policy,
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'url_not_allowed') {
      throw new AppError('url_not_allowed', err.message, { fields: { [opts.fieldPath]: [err.message] }, cause: err });
    }
    if (err instanceof FetchFailure && err.kind === 'too_large') throw bad(`Image is larger than 20 MB; ${TOO_BIG}`, err);
    if (err instanceof FetchFailure) throw bad(`Image URL could not be fetched: ${err.message}`, err);
    throw err; // caller's abort, or a bug: not the user's image's fault
  }
  if (res.status < 200 || res.status > 299) throw bad(`Image URL answered HTTP ${res.status}`);
  if (sniffImage(res.body) === null) {
    const sent = res.headers['content-type'];
    throw bad(`Image URL did not return an image: the content is not a JPG, PNG or WebP image${sent ? ` (the server said ${sent.split(';')[0] ?? sent})` : ''}`);
  }
  return res.body;
}

export interface LoadImageOptions {
  /** Where the image sits in the request, for `fields` in errors (e.g. "first_frame_image"). */
  fieldPath: string;
  policy: UrlPolicy;
  /** Whole fetch including redirects; default 15 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Turns the caller's `first_frame_image` (an http(s) URL or a base64 `data:image/…` URI) into
 * checked bytes. URLs go through the SSRF guard; the bytes, not the Content-Type, decide the
 * format. Throws `AppError('invalid_image' | 'url_not_allowed')` with `fields[fieldPath]` set.
 *
 * @example
 * const img = await loadImageInput(body.first_frame_image, {
 *   fieldPath: 'first_frame_image',
 *   policy: DEFAULT_URL_POLICY,
 * });
 * // img.info → { format: 'jpeg', width: 1920, height: 1080, … }, img.sourceKind → 'url'
 */
export async function loadImageInput(source: string, opts: LoadImageOptions): Promise<LoadedImage> {
  const trimmed = source.trim();
  if (trimmed === '') throw fieldError(opts.fieldPath, 'Image is empty; give an https URL or a data:image/…;base64 URI', 'invalid_image');
  const sourceKind = /^data:/i.test(trimmed) ? 'data' : 'url';
  const bytes = sourceKind === 'data' ? decodeDataUri(trimmed, opts.fieldPath) : await fetchImage(trimmed, opts);
  const info = sniffImage(bytes);
  if (!info) throw fieldError(opts.fieldPath, 'Image data is not a JPG, PNG or WebP image', 'invalid_image');
  checkImageRules(info, opts.fieldPath);
  return { bytes, info, sourceKind };
}
