import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegPath, fontPath, probeFaststart, probeVideo } from '../../src/media/index.js';
import { outputSize, parseCameraCommands, renderVideo, type RenderSpec } from '../../src/providers/sandbox/render.js';
import { layoutCaption } from '../../src/providers/sandbox/caption.js';
import { fontMetrics } from '../../src/providers/sandbox/font.js';
import { flatView, planCamera } from '../../src/providers/sandbox/motion.js';
import { seededRandom } from '../../src/providers/sandbox/random.js';

const run = promisify(execFile);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelay-sandbox-test-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function ffmpeg(args: string[]): Promise<Buffer> {
  const { stdout } = await run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Frame `n` of a video as RGB, decoded with the BT.709 matrix the renderer flags. */
function frameRgb(video: string, n: number): Promise<Buffer> {
  const vf = `select=eq(n\\,${n}),scale=in_color_matrix=bt709:in_range=tv:out_range=full,format=rgb24`;
  return ffmpeg(['-i', video, '-vf', vf, '-frames:v', '1', '-f', 'rawvideo', '-']);
}

/** An image fitted (scaled to cover, centre-cropped) to width×height, as RGB. */
function fittedRgb(image: string, width: number, height: number): Promise<Buffer> {
  const vf = `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},format=rgb24`;
  return ffmpeg(['-i', image, '-vf', vf, '-f', 'rawvideo', '-']);
}

/** Mean absolute difference per channel sample, 0–255. */
function mad(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length, 'compared pictures differ in size');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** A picture with detail everywhere (so any shift or zoom shows), varied by `k`. */
async function makePattern(file: string, width: number, height: number, k: number): Promise<void> {
  const geq = `r='128+120*sin(X/${9 + k})*cos(Y/${13 - k})':g='128+120*sin((X+Y)/${17 + k})':b='128+120*cos(X/${23 - k}-Y/7)'`;
  await ffmpeg(['-f', 'lavfi', '-i', `color=c=black:s=${width}x${height},format=gbrp,geq=${geq}`, '-frames:v', '1', file]);
}

/** Left half red, right half blue: which colour grows tells which way the camera went. */
async function makeHalves(file: string, width: number, height: number, extra: string[] = []): Promise<void> {
  const half = width / 2;
  await ffmpeg([
    '-f', 'lavfi', '-i', `color=c=red:s=${width}x${height}`,
    '-f', 'lavfi', '-i', `color=c=blue:s=${half}x${height}`,
    '-filter_complex', `[0][1]overlay=x=${half}:y=0`, '-frames:v', '1', ...extra, file,
  ]);
}

/** Share of pixels that are clearly red (R high, B low) in an RGB frame. */
function redShare(rgb: Buffer): number {
  let red = 0;
  for (let i = 0; i < rgb.length; i += 3) if ((rgb[i] as number) > 150 && (rgb[i + 2] as number) < 100) red++;
  return red / (rgb.length / 3);
}

const FPS = 24;
const spec = (prompt: string, width: number, height: number, durationSeconds: number, extra: Partial<RenderSpec> = {}): RenderSpec => ({
  prompt,
  width,
  height,
  durationSeconds,
  fps: FPS,
  ...extra,
});

/** Renders and checks what every output must be, whatever the input. */
async function renderAndProbe(s: RenderSpec, name: string): Promise<{ file: string; progress: number[] }> {
  const file = join(dir, `${name}.mp4`);
  const progress: number[] = [];
  await renderVideo(s, file, { onProgress: (f) => progress.push(f) });
  const p = await probeVideo(file);
  assert.equal(p.codec, 'h264');
  assert.equal(p.pixFmt, 'yuv420p');
  assert.equal(p.fps, FPS);
  assert.deepEqual([p.width, p.height], [s.width, s.height]);
  assert.equal(p.frames, Math.round(s.durationSeconds * FPS));
  assert.ok(Math.abs(p.durationSeconds - s.durationSeconds) <= 1 / FPS + 1e-6, `duration ${p.durationSeconds} for ${s.durationSeconds}`);
  assert.equal(p.hasAudio, false);
  assert.equal(await probeFaststart(file), true);
  assert.equal(await stat(`${file}.part`).catch(() => null), null, 'no part file left behind');
  return { file, progress };
}

describe('parseCameraCommands', () => {
  test('one bracket is one segment; its moves happen together', () => {
    assert.deepEqual(parseCameraCommands('A fox [Pan left,Pedestal up] runs'), {
      segments: [{ moves: ['pan_left', 'pedestal_up'] }],
      text: 'A fox runs',
    });
  });

  test('brackets in sequence, case-insensitive, spacing forgiven', () => {
    const r = parseCameraCommands('[ZOOM IN] a city [truck  Right , tilt down]  at night [Static shot]');
    assert.deepEqual(r.segments, [{ moves: ['zoom_in'] }, { moves: ['truck_right', 'tilt_down'] }, { moves: ['static_shot'] }]);
    assert.equal(r.text, 'a city at night');
  });

  test('all fifteen moves are known', () => {
    const names = ['Truck left', 'Truck right', 'Pan left', 'Pan right', 'Push in', 'Pull out', 'Pedestal up', 'Pedestal down', 'Tilt up', 'Tilt down', 'Zoom in', 'Zoom out', 'Shake', 'Tracking shot', 'Static shot'];
    const r = parseCameraCommands(names.map((n) => `[${n}]`).join(' '));
    assert.equal(r.segments.length, 15);
    assert.equal(new Set(r.segments.flatMap((s) => s.moves)).size, 15);
    assert.equal(r.text, '');
  });

  test('unknown bracket text stays in the caption and is not a command', () => {
    assert.deepEqual(parseCameraCommands('The [foo] and [] stay [Shake]'), { segments: [{ moves: ['shake'] }], text: 'The [foo] and [] stay' });
  });

  test('at most three moves per bracket; repeats and unknown names are dropped', () => {
    const r = parseCameraCommands('[Pan left, Pan left, Zoom in, nonsense, Tilt up, Shake]');
    assert.deepEqual(r.segments, [{ moves: ['pan_left', 'zoom_in', 'tilt_up'] }]);
  });

  test('no commands: no segments, text untouched but for whitespace', () => {
    assert.deepEqual(parseCameraCommands('  A calm\n lake  '), { segments: [], text: 'A calm lake' });
  });
});

describe('outputSize', () => {
  test('text-to-video is 16:9 at exactly MiniMax sizes', () => {
    assert.deepEqual(outputSize('768p'), { width: 1366, height: 768 });
    assert.deepEqual(outputSize('1080p'), { width: 1920, height: 1080 });
  });

  test('image-to-video keeps the aspect with the short side at the resolution', () => {
    assert.deepEqual(outputSize('768p', { width: 1600, height: 900 }), { width: 1366, height: 768 });
    assert.deepEqual(outputSize('768p', { width: 900, height: 1600 }), { width: 768, height: 1366 });
    assert.deepEqual(outputSize('1080p', { width: 1000, height: 1000 }), { width: 1080, height: 1080 });
    assert.deepEqual(outputSize('1080p', { width: 1080, height: 1920 }), { width: 1080, height: 1920 });
  });

  test('the long side rounds to the nearest even number, not down', () => {
    // 1080 × 1001/1000 = 1081.08: 1082 is nearer than 1080.
    assert.deepEqual(outputSize('1080p', { width: 1001, height: 1000 }), { width: 1082, height: 1080 });
    // 768 × 1000/563 = 1364.1 → 1364; 768 × 4/3 = 1024 exactly.
    assert.deepEqual(outputSize('768p', { width: 1000, height: 563 }), { width: 1364, height: 768 });
    assert.deepEqual(outputSize('768p', { width: 300, height: 400 }), { width: 768, height: 1024 });
    for (const w of [301, 333, 517, 999, 1777]) {
      const s = outputSize('768p', { width: w, height: 300 });
      assert.equal(s.width % 2, 0, `${w}×300 → ${s.width}`);
    }
  });

  test('nonsense sizes are refused', () => {
    assert.throws(() => outputSize('768p', { width: 0, height: 100 }), RangeError);
    assert.throws(() => outputSize('720p' as '768p'), RangeError);
  });
});

describe('caption layout', () => {
  const metrics = fontMetrics(fontPath());
  const widthPx = (line: string, size: number): number => [...line].reduce((w, ch) => w + (metrics.advance(ch.codePointAt(0) ?? 0) ?? 0), 0) * size;

  test('a short prompt is one line at the base size', () => {
    assert.deepEqual(layoutCaption('A red fox runs through snow', 1366, 768, metrics), { fontSize: 32, lines: ['A red fox runs through snow'] });
  });

  test('a long prompt wraps into at most three lines that fit, ending in an ellipsis when cut', () => {
    const long = 'word '.repeat(400).trim();
    for (const [w, h] of [[1366, 768], [768, 1366], [1080, 1080]] as const) {
      const { fontSize, lines } = layoutCaption(long, w, h, metrics);
      assert.ok(lines.length <= 3 && lines.length > 0, `${lines.length} lines`);
      for (const line of lines) assert.ok(widthPx(line, fontSize) <= w * 0.86 + 1e-6, `"${line}" is ${widthPx(line, fontSize)} px on ${w}`);
      assert.ok(lines.at(-1)?.endsWith('…'), 'cut text ends in an ellipsis');
    }
  });

  test('an unbroken run of characters is cut to fit, and glyphs the font lacks are dropped', () => {
    const { fontSize, lines } = layoutCaption(`https://example.com/${'x'.repeat(150)} 中文`, 768, 1366, metrics);
    for (const line of lines) assert.ok(widthPx(line, fontSize) <= 768 * 0.86 + 1e-6);
    assert.ok(!lines.join('').includes('中'));
    assert.deepEqual(layoutCaption('中文 \u200d', 1366, 768, metrics).lines, []);
  });
});

describe('camera path', () => {
  const moves = ['[Pan left]', '[Truck right, Tilt up]', '[Zoom in] [Pull out]', '[Shake]', '[Tracking shot]', '[Push in] [Pan right] [Pedestal down]', ''];

  test('every path starts at rest: frame 0 is the unmoved image', () => {
    for (const prompt of moves) {
      const v = flatView(planCamera(parseCameraCommands(prompt).segments, 144, FPS, seededRandom('x')));
      assert.deepEqual([Math.abs(v.dx.at(0)), Math.abs(v.dy.at(0)), v.z.at(0)], [0, 0, 1], prompt);
    }
  });

  test('motion is continuous across segment boundaries (no frame jumps)', () => {
    const v = flatView(planCamera(parseCameraCommands('[Pan left] [Zoom in, Pedestal up] [Pan right] [Pull out]').segments, 240, FPS, seededRandom('x')));
    let largest = 0;
    for (let n = 1; n < 240; n++) {
      largest = Math.max(largest, Math.abs(v.dx.at(n) - v.dx.at(n - 1)), Math.abs(v.dy.at(n) - v.dy.at(n - 1)), Math.abs(v.z.at(n) - v.z.at(n - 1)));
    }
    // The fastest eased move changes by well under 1% of the frame per frame; a cut would be ~10%.
    assert.ok(largest < 0.012, `largest per-frame change ${largest}`);
  });

  test('a shake fades in and out: no jitter at its segment boundaries, plenty inside', () => {
    // Three segments over 145 frames: boundaries at frames 48 and 96.
    const v = flatView(planCamera(parseCameraCommands('[Static shot] [Shake] [Static shot]').segments, 145, FPS, seededRandom('x')));
    for (const n of [0, 30, 48, 96, 120, 144]) assert.ok(Math.abs(v.dx.at(n)) < 1e-9 && Math.abs(v.dy.at(n)) < 1e-9, `still at frame ${n}`);
    let jitter = 0;
    for (let n = 49; n < 96; n++) jitter = Math.max(jitter, Math.abs(v.dx.at(n)));
    assert.ok(jitter > 0.005, `shake too weak: ${jitter}`);
  });

  test('brackets past two per second of clip are ignored', () => {
    // 1 s clip: only the first two of five brackets (both pans left) may run.
    const path = planCamera(parseCameraCommands('[Pan left] [Pan left] [Pan right] [Pan right] [Pan right]').segments, 24, FPS, seededRandom('x'));
    assert.ok(path.panX.at(23) < -1, `panX at the end: ${path.panX.at(23)}`);
  });

  test('a pan or truck slides the view at constant magnification; a shake zooms only while it shakes', () => {
    const v = flatView(planCamera(parseCameraCommands('[Pan left] [Tilt down] [Truck right]').segments, 144, FPS, seededRandom('x')));
    for (let n = 0; n < 144; n++) assert.equal(v.z.at(n), 1, `frame ${n} zooms`);
    assert.ok(v.dx.at(47) < -0.03 && v.dy.at(95) > 0.02, 'the view moves');
    const s = flatView(planCamera(parseCameraCommands('[Shake]').segments, 144, FPS, seededRandom('x')));
    assert.ok(s.z.at(72) > 1.01 && s.z.at(0) === 1 && Math.abs(s.z.at(143) - 1) < 1e-9, `shake zoom ${s.z.at(72)}`);
  });
});

describe('renderVideo: text-to-video', () => {
  test('6 s at 768p: 1366×768, 144 frames, progress rising to 1', async () => {
    const { progress } = await renderAndProbe(spec('A lighthouse on a cliff at dusk', 1366, 768, 6), 't2v-768-6');
    assert.ok(progress.length >= 2, `progress calls: ${progress.join(',')}`);
    assert.equal(progress.at(-1), 1);
    for (const [i, f] of progress.entries()) {
      assert.ok(f >= 0 && f <= 1, `fraction ${f}`);
      if (i > 0) assert.ok(f >= (progress[i - 1] as number), `progress went back: ${progress.join(',')}`);
    }
  });

  test('6 s at 1080p with a camera move: 1920×1080, 144 frames', async () => {
    await renderAndProbe(spec('Snowy mountains at sunrise [Push in]', 1920, 1080, 6), 't2v-1080-6');
  });

  test('10 s at 768p: 240 frames, 10.000 s', async () => {
    await renderAndProbe(spec('A busy harbour [Truck left] [Zoom out]', 1366, 768, 10), 't2v-768-10');
  });

  test('the picture varies with the prompt and is stable for the same prompt and seed', async () => {
    const a1 = join(dir, 'prompt-a1.mp4');
    const a2 = join(dir, 'prompt-a2.mp4');
    const b = join(dir, 'prompt-b.mp4');
    await renderVideo(spec('A red fox in the snow', 640, 360, 0.5, { seed: 'job_1' }), a1);
    await renderVideo(spec('A red fox in the snow', 640, 360, 0.5, { seed: 'job_1' }), a2);
    await renderVideo(spec('A neon city street in the rain', 640, 360, 0.5, { seed: 'job_1' }), b);
    const [fa1, fa2, fb] = await Promise.all([frameRgb(a1, 0), frameRgb(a2, 0), frameRgb(b, 0)]);
    assert.ok(mad(fa1, fa2) < 0.5, `same prompt, same seed: ${mad(fa1, fa2)}`);
    assert.ok(mad(fa1, fb) > 10, `different prompts look alike: ${mad(fa1, fb)}`);
  });

  test('a hostile caption is drawn as text, not parsed', async () => {
    const hostile = `It's "quoted" 100% %{pts} %{eif:1:d} \\back\\slash: a,b;c [x] {y} 😀🎬 ✓ Привет שלום مرحبا 中文 \u200d\ufe0f end`;
    const withText = await renderAndProbe(spec(hostile, 1366, 768, 0.5), 'caption-hostile');
    const without = await renderAndProbe(spec('[Static shot]', 1366, 768, 0.5), 'caption-none');
    // Same scene either way? No: the scene is seeded by the text. So compare only the caption band
    // for near-white pixels, which only drawn text puts there.
    const band = async (file: string): Promise<number> => {
      const rgb = await ffmpeg(['-i', file, '-vf', 'crop=1366:140:0:628,format=rgb24', '-frames:v', '1', '-f', 'rawvideo', '-']);
      let white = 0;
      for (let i = 0; i < rgb.length; i += 3) if ((rgb[i] as number) > 235 && (rgb[i + 1] as number) > 235 && (rgb[i + 2] as number) > 235) white++;
      return white;
    };
    assert.ok((await band(withText.file)) > 1500, 'caption text drawn');
    assert.ok((await band(without.file)) < 200, 'no caption without text');
  });
});

describe('renderVideo: image-to-video', () => {
  test('portrait PNG: 768×1366, and frame 0 is the image itself', async () => {
    const image = join(dir, 'portrait.png');
    const other = join(dir, 'other.png');
    await makePattern(image, 900, 1600, 0);
    await makePattern(other, 900, 1600, 3);
    const size = outputSize('768p', { width: 900, height: 1600 });
    assert.deepEqual(size, { width: 768, height: 1366 });
    const { file } = await renderAndProbe(spec('A portrait', size.width, size.height, 2, { imagePath: image }), 'i2v-portrait');
    const ref = await fittedRgb(image, size.width, size.height);
    const first = mad(await frameRgb(file, 0), ref);
    const moved = mad(await frameRgb(file, 24), ref); // the default push-in, one second in
    const wrong = mad(await frameRgb(file, 0), await fittedRgb(other, size.width, size.height));
    // Measured: ~5 for frame 0 (x264 + 4:2:0), ~85 once the camera has moved, ~88 for another image.
    const THRESHOLD = 8;
    assert.ok(first < THRESHOLD, `frame 0 differs from the image by ${first}`);
    assert.ok(moved > THRESHOLD * 3, `a moved frame would pass as the image (${moved})`);
    assert.ok(wrong > THRESHOLD * 3, `another image would pass (${wrong})`);
  });

  test('landscape JPEG with a pull-out: 1366×768, frame 0 exact, then the padding shows', async () => {
    const image = join(dir, 'landscape.jpg');
    await makePattern(image, 1600, 900, 1);
    const size = outputSize('768p', { width: 1600, height: 900 });
    assert.deepEqual(size, { width: 1366, height: 768 });
    const { file } = await renderAndProbe(spec('[Pull out]', size.width, size.height, 2, { imagePath: image }), 'i2v-landscape');
    const ref = await fittedRgb(image, size.width, size.height);
    assert.ok(mad(await frameRgb(file, 0), ref) < 8, 'frame 0 is the image');
    assert.ok(mad(await frameRgb(file, 47), ref) > 24, 'the last frame has pulled out');
  });

  test('[Pan left] moves the view left: the last frame differs and shows more of the left half', async () => {
    const image = join(dir, 'halves.png');
    await makeHalves(image, 1600, 900);
    const { file } = await renderAndProbe(spec('[Pan left]', 1366, 768, 2, { imagePath: image }), 'i2v-pan-left');
    const [first, last] = await Promise.all([frameRgb(file, 0), frameRgb(file, 47)]);
    assert.ok(mad(first, last) > 5, `last frame ≈ first (${mad(first, last)})`);
    assert.ok(Math.abs(redShare(first) - 0.5) < 0.02, `frame 0 is half red (${redShare(first)})`);
    assert.ok(redShare(last) > redShare(first) + 0.05, `pan left should reveal more red: ${redShare(first)} → ${redShare(last)}`);
  });

  test('image-to-video carries the "sandbox preview" mark, top left, like text-to-video (regression: it had none)', async () => {
    const black = join(dir, 'black.png');
    await ffmpeg(['-f', 'lavfi', '-i', 'color=c=black:s=1600x900', '-frames:v', '1', black]);
    const { file } = await renderAndProbe(spec('[Static shot]', 1366, 768, 0.5, { imagePath: black }), 'i2v-mark');
    // Near-white pixels in a 400×60 corner: the mark's text (white@0.85 ≈ 217) on a black image.
    const bright = async (x: number): Promise<number> => {
      const rgb = await ffmpeg(['-i', file, '-vf', `crop=400:60:${x}:0,format=rgb24`, '-frames:v', '1', '-f', 'rawvideo', '-']);
      let n = 0;
      for (let i = 0; i < rgb.length; i += 3) if ((rgb[i] as number) > 180 && (rgb[i + 1] as number) > 180 && (rgb[i + 2] as number) > 180) n++;
      return n;
    };
    assert.ok((await bright(0)) > 300, 'the mark is drawn top left');
    assert.equal(await bright(1366 - 400), 0, 'and nothing else is drawn on the image');
  });

  test('WebP input works', async () => {
    const image = join(dir, 'input.webp');
    await makePattern(image, 800, 800, 2);
    await renderAndProbe(spec('[Zoom in]', 768, 768, 1, { imagePath: image }), 'i2v-webp');
  });

  test('a JPEG with EXIF orientation 6 is rendered upright, as the request side measured it', async () => {
    const plain = join(dir, 'exif-plain.jpg');
    await makeHalves(plain, 1200, 800); // stored: red left, blue right
    const jpeg = await readFile(plain);
    // APP1 Exif, big-endian TIFF, one IFD entry: Orientation (0x0112) SHORT = 6 (display rotated 90° clockwise).
    const tiff = Buffer.from([0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
    const rotated = join(dir, 'exif-6.jpg');
    await writeFile(rotated, Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]));
    const size = outputSize('768p', { width: 800, height: 1200 }); // displayed size: portrait
    const { file } = await renderAndProbe(spec('[Static shot]', size.width, size.height, 0.5, { imagePath: rotated }), 'i2v-exif');
    // Rotated clockwise, the stored left (red) half becomes the top half.
    const top = await ffmpeg(['-i', file, '-vf', `crop=iw:ih/2:0:0,scale=1:1:flags=area,format=rgb24`, '-frames:v', '1', '-f', 'rawvideo', '-']);
    assert.ok((top[0] as number) > 150 && (top[2] as number) < 100, `top half should be red, got rgb(${[...top].join(',')})`);
  });
});

describe('renderVideo: failure and abort', () => {
  test('an abort rejects with AbortError and leaves no file', async () => {
    const file = join(dir, 'aborted.mp4');
    const controller = new AbortController();
    const render = renderVideo(spec('A long render [Pan right]', 1920, 1080, 10), file, { signal: controller.signal });
    setTimeout(() => controller.abort(), 400);
    await assert.rejects(render, { name: 'AbortError' });
    const left = (await readdir(dir)).filter((f) => f.startsWith('aborted'));
    assert.deepEqual(left, []);
  });

  test('an unreadable image rejects with ffmpeg\'s reason and leaves no file', async () => {
    const bogus = join(dir, 'bogus.png');
    await writeFile(bogus, 'this is not an image');
    const file = join(dir, 'bogus.mp4');
    await assert.rejects(renderVideo(spec('x', 768, 768, 1, { imagePath: bogus }), file), (err: Error) => /ffmpeg exited with code/.test(err.message) && err.message.length > 40);
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('bogus.mp4')), []);
  });

  test('impossible specs are refused before ffmpeg runs', async () => {
    await assert.rejects(renderVideo(spec('x', 1365, 768, 6), join(dir, 'odd.mp4')), RangeError);
    await assert.rejects(renderVideo(spec('x', 1366, 768, 0), join(dir, 'zero.mp4')), RangeError);
  });
});
