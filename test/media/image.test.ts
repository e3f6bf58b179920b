import { before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../src/errors.js';
import { IMAGE_RULES, checkImageRules, loadImageInput, sniffImage, type ImageInfo } from '../../src/media/image.js';
import { DEFAULT_URL_POLICY, type UrlPolicy } from '../../src/net/index.js';

const ffmpegPath = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const FIELD = 'first_frame_image';
const OPEN: UrlPolicy = { allowPrivateNetworks: true, allowHttp: true };

/** Real images, encoded by ffmpeg once for the whole file. */
const img: Record<string, Buffer> = {};

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reelay-image-'));
  const make = async (name: string, size: string, args: string[] = [], source = 'color=c=red'): Promise<void> => {
    const out = join(dir, name);
    await promisify(execFile)(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `${source}:s=${size}`, '-frames:v', '1', ...args, out]);
    img[name] = await readFile(out);
  };
  await Promise.all([
    make('frame.jpg', '640x360'),
    make('frame.png', '400x600', ['-update', '1']),
    make('lossy.webp', '800x450', ['-c:v', 'libwebp', '-lossless', '0']),
    make('lossless.webp', '500x500', ['-c:v', 'libwebp', '-lossless', '1']),
    make('anim.webp', '600x400', ['-frames:v', '3', '-c:v', 'libwebp_anim', '-loop', '0'], 'testsrc=r=5'),
    make('small.png', '250x400', ['-update', '1']),
    make('narrow.png', '300x900', ['-update', '1']),
    make('wide.png', '1000x300', ['-update', '1']),
  ]);
  await rm(dir, { recursive: true, force: true });
});

function imageOf(name: string): Buffer {
  const buf = img[name];
  assert.ok(buf, `fixture ${name} was not built`);
  return buf;
}

/** Inserts an EXIF APP1 segment carrying only an Orientation tag right after the JPEG's SOI. */
function withExifOrientation(jpeg: Buffer, orientation: number, littleEndian: boolean): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  const u16 = (v: number, at: number): number => (littleEndian ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): number => (littleEndian ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
  u16(42, 2);
  u32(8, 4); // IFD0 right after the header
  u16(1, 8); // one entry
  u16(0x0112, 10); // Orientation
  u16(3, 12); // SHORT
  u32(1, 14); // count
  u16(orientation, 18);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, payload, jpeg.subarray(2)]);
}

function invalidImage(message: RegExp | string, code: AppError['code'] = 'invalid_image'): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    assert.deepEqual(Object.keys(err.fields ?? {}), [FIELD]);
    assert.ok(err.fields?.[FIELD]?.length);
    return true;
  };
}

function dataUri(buf: Buffer, type = 'image/png'): string {
  return `data:${type};base64,${buf.toString('base64')}`;
}

async function serve(t: TestContext, handler: http.RequestListener): Promise<{ origin: string; port: number; connections: () => number }> {
  let connections = 0;
  const server = http.createServer(handler);
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { origin: `http://127.0.0.1:${port}`, port, connections: () => connections };
}

void test('sniffs JPEG, PNG and the three WebP flavours with their dimensions', () => {
  const cases: [string, Partial<ImageInfo>][] = [
    ['frame.jpg', { format: 'jpeg', mime: 'image/jpeg', width: 640, height: 360 }],
    ['frame.png', { format: 'png', mime: 'image/png', width: 400, height: 600 }],
    ['lossy.webp', { format: 'webp', mime: 'image/webp', width: 800, height: 450 }], // VP8
    ['lossless.webp', { format: 'webp', width: 500, height: 500 }], // VP8L
    ['anim.webp', { format: 'webp', width: 600, height: 400 }], // VP8X, animated: canvas size
  ];
  for (const [name, want] of cases) {
    const buf = imageOf(name);
    const info = sniffImage(buf);
    assert.ok(info, name);
    assert.deepEqual({ ...info, ...want, bytes: buf.length }, info, name);
  }
  assert.equal(imageOf('lossy.webp').toString('latin1', 12, 16), 'VP8 ');
  assert.equal(imageOf('lossless.webp').toString('latin1', 12, 16), 'VP8L');
  assert.equal(imageOf('anim.webp').toString('latin1', 12, 16), 'VP8X');
});

void test('EXIF orientations 5–8 swap width and height; 1–4 do not', () => {
  const jpeg = imageOf('frame.jpg');
  for (const [orientation, le] of [[6, false], [8, true], [5, true], [7, false]] as const) {
    const info = sniffImage(withExifOrientation(jpeg, orientation, le));
    assert.deepEqual([info?.width, info?.height], [360, 640], `orientation ${orientation}`);
  }
  for (const orientation of [1, 3]) {
    const info = sniffImage(withExifOrientation(jpeg, orientation, false));
    assert.deepEqual([info?.width, info?.height], [640, 360], `orientation ${orientation}`);
  }
});

void test('anything that is not a JPEG, PNG or WebP header is not an image', () => {
  const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
  for (const buf of [Buffer.alloc(0), Buffer.from('<html>hello</html>'), gif, imageOf('frame.png').subarray(0, 20), imageOf('frame.jpg').subarray(0, 100), imageOf('lossy.webp').subarray(0, 24)]) {
    assert.equal(sniffImage(buf), null);
  }
});

void test('the rules: short side, aspect ratio both ways, size, with the limits themselves allowed', () => {
  const info = (width: number, height: number, bytes = 1000): ImageInfo => ({ format: 'png', mime: 'image/png', width, height, bytes });
  for (const ok of [info(300, 300), info(400, 1000), info(1000, 400), info(1920, 1080, IMAGE_RULES.maxBytes - 1)]) {
    assert.doesNotThrow(() => checkImageRules(ok, FIELD), `${ok.width}×${ok.height}`);
  }
  assert.throws(() => checkImageRules(info(250, 400), FIELD), invalidImage('Image is 250×400; the short side must be at least 300 px'));
  assert.throws(() => checkImageRules(info(300, 900), FIELD), invalidImage('Image is 300×900 (aspect ratio 1:3); the aspect ratio must be between 2:5 and 5:2'));
  assert.throws(() => checkImageRules(info(1000, 300), FIELD), invalidImage(/aspect ratio 10:3\)/));
  assert.throws(() => checkImageRules(info(1920, 1080, IMAGE_RULES.maxBytes), FIELD), invalidImage('Image is 20.0 MB; it must be smaller than 20 MB'));
  // Every broken rule is reported at once.
  assert.throws(() => checkImageRules(info(100, 1000, IMAGE_RULES.maxBytes + 1), FIELD), (err) => err instanceof AppError && err.fields?.[FIELD]?.length === 3);
});

void test('data URIs: each format decodes; the bytes decide the format, not the declared type', async () => {
  for (const [name, type] of [['frame.jpg', 'image/jpeg'], ['frame.jpg', 'image/jpg'], ['frame.png', 'image/png'], ['lossy.webp', 'image/webp']] as const) {
    const got = await loadImageInput(dataUri(imageOf(name), type), { fieldPath: FIELD, policy: DEFAULT_URL_POLICY });
    assert.equal(got.sourceKind, 'data');
    assert.ok(got.bytes.equals(imageOf(name)));
  }
  const mislabelled = await loadImageInput(dataUri(imageOf('frame.jpg'), 'image/png'), { fieldPath: FIELD, policy: DEFAULT_URL_POLICY });
  assert.equal(mislabelled.info.format, 'jpeg');
  // Line-wrapped base64, as many encoders write it.
  const wrapped = dataUri(imageOf('frame.png')).replace(/(.{76})/g, '$1\n');
  assert.equal((await loadImageInput(wrapped, { fieldPath: FIELD, policy: DEFAULT_URL_POLICY })).info.width, 400);
});

void test('data URIs: wrong type, not base64, broken base64, empty, garbage, rule failures', async () => {
  const load = (s: string): Promise<unknown> => loadImageInput(s, { fieldPath: FIELD, policy: DEFAULT_URL_POLICY });
  await assert.rejects(load(dataUri(imageOf('frame.png'), 'image/gif')), invalidImage(/type "image\/gif" is not supported/));
  await assert.rejects(load(dataUri(imageOf('frame.png'), 'text/plain')), invalidImage(/type "text\/plain" is not supported/));
  await assert.rejects(load(`data:image/png,${imageOf('frame.png').toString('latin1')}`), invalidImage(/must be base64-encoded/));
  await assert.rejects(load('data:image/png;base64,iVBORw0K*&^%'), invalidImage('Image data URI is not valid base64'));
  await assert.rejects(load('data:image/png;base64,abcde'), invalidImage('Image data URI is not valid base64'));
  await assert.rejects(load('data:image/png;base64,'), invalidImage('Image data URI is empty'));
  await assert.rejects(load('data:image/png'), invalidImage(/malformed/));
  await assert.rejects(load('   '), invalidImage(/Image is empty/));
  await assert.rejects(load(dataUri(Buffer.from('just some text, not pixels'))), invalidImage('Image data is not a JPG, PNG or WebP image'));
  await assert.rejects(load(dataUri(imageOf('small.png'))), invalidImage('Image is 250×400; the short side must be at least 300 px'));
  await assert.rejects(load(dataUri(imageOf('narrow.png'))), invalidImage(/aspect ratio 1:3/));
  await assert.rejects(load(dataUri(imageOf('wide.png'))), invalidImage(/aspect ratio 10:3/));
  const huge = Buffer.concat([imageOf('frame.png'), Buffer.alloc(IMAGE_RULES.maxBytes)]);
  await assert.rejects(load(dataUri(huge)), invalidImage(/^Image is 20\.0 MB; it must be smaller than 20 MB$/));
});

void test('URL: a 200 image is fetched whatever its Content-Type says, also through a redirect', async (t) => {
  const srv = await serve(t, (q, r) => {
    if (q.url === '/frame.jpg') r.writeHead(200, { 'content-type': 'application/octet-stream' }).end(imageOf('frame.jpg'));
    else if (q.url === '/cdn') r.writeHead(302, { location: '/frame.webp' }).end();
    else if (q.url === '/frame.webp') r.writeHead(200, { 'content-type': 'image/webp' }).end(imageOf('lossy.webp'));
    else r.writeHead(404).end();
  });
  const jpg = await loadImageInput(`${srv.origin}/frame.jpg`, { fieldPath: FIELD, policy: OPEN });
  assert.equal(jpg.sourceKind, 'url');
  assert.deepEqual([jpg.info.format, jpg.info.width, jpg.info.height, jpg.info.bytes], ['jpeg', 640, 360, imageOf('frame.jpg').length]);
  const webp = await loadImageInput(`${srv.origin}/cdn`, { fieldPath: FIELD, policy: OPEN });
  assert.deepEqual([webp.info.format, webp.info.width], ['webp', 800]);
});

void test('URL: 404, an HTML page, a file over 20 MB, a dead port and a silent server are invalid_image', async (t) => {
  const big = Buffer.concat([imageOf('frame.png'), Buffer.alloc(IMAGE_RULES.maxBytes)]);
  const srv = await serve(t, (q, r) => {
    if (q.url === '/missing') r.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
    else if (q.url === '/page') r.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><p>hi</p>');
    else if (q.url === '/big') r.end(big);
    else if (q.url === '/big-chunked') {
      r.write(big.subarray(0, 1024));
      r.end(big.subarray(1024));
    } else if (q.url === '/silent') return;
  });
  const load = (path: string, timeoutMs?: number): Promise<unknown> => loadImageInput(`${srv.origin}${path}`, { fieldPath: FIELD, policy: OPEN, timeoutMs });
  await assert.rejects(load('/missing'), invalidImage('Image URL answered HTTP 404'));
  await assert.rejects(load('/page'), invalidImage(/not a JPG, PNG or WebP image \(the server said text\/html\)$/));
  await assert.rejects(load('/big'), invalidImage('Image is larger than 20 MB; it must be smaller than 20 MB'));
  await assert.rejects(load('/big-chunked'), invalidImage('Image is larger than 20 MB; it must be smaller than 20 MB'));
  await assert.rejects(load('/silent', 200), invalidImage(/^Image URL could not be fetched: no complete response within 200 ms$/));

  // A port that was free a moment ago: nothing listens there.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const freePort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  await assert.rejects(loadImageInput(`http://127.0.0.1:${freePort}/x.png`, { fieldPath: FIELD, policy: OPEN }), invalidImage(/^Image URL could not be fetched: could not connect to 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/));
});

void test('URL: the default policy refuses loopback and plain http, with the field path, before connecting', async (t) => {
  const srv = await serve(t, (_q, r) => r.end(imageOf('frame.jpg')));
  const load = (url: string, policy: UrlPolicy): Promise<unknown> => loadImageInput(url, { fieldPath: FIELD, policy });
  await assert.rejects(load(`https://127.0.0.1:${srv.port}/frame.jpg`, DEFAULT_URL_POLICY), invalidImage(/127\.0\.0\.1 is a loopback address/, 'url_not_allowed'));
  await assert.rejects(load(`https://localhost:${srv.port}/frame.jpg`, DEFAULT_URL_POLICY), invalidImage(/"localhost" resolves to a loopback address/, 'url_not_allowed'));
  await assert.rejects(load(`${srv.origin}/frame.jpg`, DEFAULT_URL_POLICY), invalidImage(/scheme "http" is not allowed/, 'url_not_allowed'));
  await assert.rejects(load(`http://2130706433:${srv.port}/frame.jpg`, { allowPrivateNetworks: false, allowHttp: true }), invalidImage(/loopback/, 'url_not_allowed'));
  await assert.rejects(load('ftp://example.com/frame.jpg', DEFAULT_URL_POLICY), invalidImage(/must be an https URL or a data:image/));
  await assert.rejects(load('frame.jpg', DEFAULT_URL_POLICY), invalidImage(/must be an https URL or a data:image/));
  assert.equal(srv.connections(), 0);
});
