/**
 * Each of MiniMax's fifteen camera commands, rendered from a synthetic image and MEASURED on the
 * decoded video: the direction and the kind of motion (slide, scale, jitter, none) it promises.
 *
 * Convention (MiniMax's guide names camera moves, so the picture moves the other way): `[Pan left]`
 * and `[Truck left]` turn or move the camera to the left, so the content slides RIGHT in the frame
 * (+x); `[Tilt up]` and `[Pedestal up]` raise it, so the content slides DOWN (+y, rows counted from
 * the top). `[Zoom in]` and `[Push in]` make the content bigger (scale > 1), `[Pull out]` and `[Zoom
 * out]` smaller. On a flat photo a rotation and a translation of the camera look alike (there is no
 * parallax), so pan/truck and tilt/pedestal are measured as the same kind: a slide without scale.
 *
 * The estimate: four white squares on a dark image, one per quadrant; per frame, the weighted
 * centroid of the bright pixels in each quadrant. Their mean displacement is the translation, the
 * ratio of their mean distance from their common centre is the scale. Clips are 320×180, 2 s.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegPath } from '../../src/media/index.js';
import { renderVideo } from '../../src/providers/sandbox/render.js';

const run = promisify(execFile);
const W = 320;
const H = 180;
const FPS = 24;
const SECONDS = 2;
const FRAMES = SECONDS * FPS;
let dir: string;
let image: string;

async function ffmpeg(args: string[]): Promise<Buffer> {
  const { stdout } = await run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelay-camera-test-'));
  image = join(dir, 'markers.png');
  // 640×360 (fitted down to 320×180): squares centred at 30% and 70% of each side.
  const box = (x: number, y: number): string => `drawbox=x=${x - 12}:y=${y - 12}:w=24:h=24:color=white:t=fill`;
  const boxes = [box(192, 108), box(448, 108), box(192, 252), box(448, 252)].join(',');
  await ffmpeg(['-f', 'lavfi', '-i', `color=c=0x282828:s=640x360,${boxes}`, '-frames:v', '1', image]);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Pose {
  /** Content displacement from frame 0, in output pixels (+x right, +y down). */
  tx: number;
  ty: number;
  /** Content scale relative to frame 0. */
  scale: number;
}

/**
 * Rows above this are not searched: the "Reelay sandbox preview" mark sits there (white text, still
 * in the frame); the markers never come closer than ~45 rows to the top.
 */
const MARK_ROWS = 32;

/** Centroids of the bright pixels in each quadrant of one grey frame, below the mark. */
function markers(gray: Buffer, offset: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [qx, qy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
    let sum = 0;
    let sx = 0;
    let sy = 0;
    for (let y = Math.max(MARK_ROWS, qy * (H / 2)); y < (qy + 1) * (H / 2); y++) {
      for (let x = qx * (W / 2); x < (qx + 1) * (W / 2); x++) {
        const v = (gray[offset + y * W + x] as number) - 128;
        if (v <= 0) continue;
        sum += v;
        sx += v * (x + 0.5);
        sy += v * (y + 0.5);
      }
    }
    assert.ok(sum > 0, `no marker in quadrant ${qx},${qy}`);
    out.push([sx / sum, sy / sum]);
  }
  return out;
}

function spread(ms: Array<[number, number]>): { cx: number; cy: number; r: number } {
  const cx = ms.reduce((s, m) => s + m[0], 0) / ms.length;
  const cy = ms.reduce((s, m) => s + m[1], 0) / ms.length;
  const r = ms.reduce((s, m) => s + Math.hypot(m[0] - cx, m[1] - cy), 0) / ms.length;
  return { cx, cy, r };
}

/** Renders `prompt` from the marker image and measures every frame's pose against frame 0. */
async function measure(prompt: string, name: string): Promise<Pose[]> {
  const file = join(dir, `${name}.mp4`);
  await renderVideo({ prompt, width: W, height: H, durationSeconds: SECONDS, fps: FPS, imagePath: image, seed: 'camera-test' }, file);
  const gray = await ffmpeg(['-i', file, '-vf', 'format=gray', '-f', 'rawvideo', '-']);
  assert.equal(gray.length, W * H * FRAMES, 'decoded frame count');
  const first = spread(markers(gray, 0));
  const poses: Pose[] = [];
  for (let n = 0; n < FRAMES; n++) {
    const s = spread(markers(gray, n * W * H));
    poses.push({ tx: s.cx - first.cx, ty: s.cy - first.cy, scale: s.r / first.r });
  }
  return poses;
}

const last = (poses: Pose[]): Pose => poses[poses.length - 1] as Pose;
const show = (p: Pose): string => `tx ${p.tx.toFixed(2)} px, ty ${p.ty.toFixed(2)} px, scale ${p.scale.toFixed(4)}`;

/** A slide: content moves (sign × more than 4 px) along one axis, not the other, and keeps its size. */
function assertSlide(p: Pose, axis: 'x' | 'y', sign: 1 | -1): void {
  const along = axis === 'x' ? p.tx : p.ty;
  const across = axis === 'x' ? p.ty : p.tx;
  assert.ok(sign * along > 4, `content should slide ${sign > 0 ? '+' : '-'}${axis}: ${show(p)}`);
  assert.ok(Math.abs(across) < 1, `content should not slide across: ${show(p)}`);
  assert.ok(Math.abs(p.scale - 1) < 0.01, `a slide, not a zoom: ${show(p)}`);
}

/** A scale about the centre: bigger (sign 1) or smaller (−1) by more than 8%, without sliding. */
function assertScale(p: Pose, sign: 1 | -1): void {
  assert.ok(sign * (p.scale - 1) > 0.08, `content should get ${sign > 0 ? 'bigger' : 'smaller'}: ${show(p)}`);
  assert.ok(Math.abs(p.tx) < 1 && Math.abs(p.ty) < 1, `a zoom about the centre, not a slide: ${show(p)}`);
}

describe('camera commands on an image, measured', () => {
  test('[Pan left]: content slides right, no zoom (regression: was a ×1.21 zoom pinned to the left edge)', async () => {
    assertSlide(last(await measure('[Pan left]', 'pan-left')), 'x', 1);
  });
  test('a pan glides: frame by frame the content never steps back nor jumps', async () => {
    const poses = await measure('[Pan left]', 'pan-glide');
    for (let n = 1; n < poses.length; n++) {
      const step = (poses[n] as Pose).tx - (poses[n - 1] as Pose).tx;
      // The eased 2 s pan peaks near 0.6 px/frame here; the window moves in whole pixels, so a
      // step is 0 or about 1, never a jump back or a skip.
      assert.ok(step > -0.2 && step < 1.6, `frame ${n}: step ${step.toFixed(2)} px`);
    }
  });
  test('[Pan right]: content slides left, no zoom', async () => {
    assertSlide(last(await measure('[Pan right]', 'pan-right')), 'x', -1);
  });
  test('[Truck left]: content slides right, no zoom', async () => {
    assertSlide(last(await measure('[Truck left]', 'truck-left')), 'x', 1);
  });
  test('[Truck right]: content slides left, no zoom', async () => {
    assertSlide(last(await measure('[Truck right]', 'truck-right')), 'x', -1);
  });
  test('[Tilt up]: content slides down, no zoom', async () => {
    assertSlide(last(await measure('[Tilt up]', 'tilt-up')), 'y', 1);
  });
  test('[Tilt down]: content slides up, no zoom', async () => {
    assertSlide(last(await measure('[Tilt down]', 'tilt-down')), 'y', -1);
  });
  test('[Pedestal up]: content slides down, no zoom', async () => {
    assertSlide(last(await measure('[Pedestal up]', 'pedestal-up')), 'y', 1);
  });
  test('[Pedestal down]: content slides up, no zoom', async () => {
    assertSlide(last(await measure('[Pedestal down]', 'pedestal-down')), 'y', -1);
  });
  test('[Zoom in]: content grows about the centre', async () => {
    assertScale(last(await measure('[Zoom in]', 'zoom-in')), 1);
  });
  test('[Zoom out]: content shrinks about the centre', async () => {
    assertScale(last(await measure('[Zoom out]', 'zoom-out')), -1);
  });
  test('[Push in]: content grows about the centre', async () => {
    assertScale(last(await measure('[Push in]', 'push-in')), 1);
  });
  test('[Pull out]: content shrinks about the centre', async () => {
    assertScale(last(await measure('[Pull out]', 'pull-out')), -1);
  });

  test('[Tracking shot]: a sideways follow (content slides left) with a slow push', async () => {
    // The camera follows a subject walking to the right: it trucks right and pushes in a little.
    const p = last(await measure('[Tracking shot]', 'tracking'));
    assert.ok(p.tx < -4, `content should slide left: ${show(p)}`);
    assert.ok(Math.abs(p.ty) < 1, `no vertical slide: ${show(p)}`);
    assert.ok(p.scale > 1.02 && p.scale < 1.15, `a slow push: ${show(p)}`);
  });

  test('[Shake]: jitter along the way, and it ends where it began', async () => {
    const poses = await measure('[Shake]', 'shake');
    const peak = Math.max(...poses.map((p) => Math.hypot(p.tx, p.ty)));
    // Direction changes: a drift would move one way only; a shake goes back and forth.
    let turns = 0;
    for (let n = 2; n < poses.length; n++) {
      const a = (poses[n - 1] as Pose).tx - (poses[n - 2] as Pose).tx;
      const b = (poses[n] as Pose).tx - (poses[n - 1] as Pose).tx;
      if (a * b < 0) turns++;
    }
    assert.ok(peak > 1.5, `no visible jitter: peak ${peak.toFixed(2)} px`);
    assert.ok(turns >= 4, `jitter should go back and forth: ${turns} turns`);
    const end = last(poses);
    assert.ok(Math.hypot(end.tx, end.ty) < 0.5 && Math.abs(end.scale - 1) < 0.005, `no net drift: ${show(end)}`);
  });

  test('[Static shot]: nothing moves', async () => {
    const poses = await measure('[Static shot]', 'static');
    for (const [n, p] of poses.entries()) {
      assert.ok(Math.hypot(p.tx, p.ty) < 0.3 && Math.abs(p.scale - 1) < 0.003, `frame ${n} moved: ${show(p)}`);
    }
  });
});
