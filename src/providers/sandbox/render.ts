/**
 * The sandbox engine's renderer: a prompt (and optionally a first-frame image) in, a real H.264 MP4
 * out, at exactly the size, frame rate and frame count asked for. It imitates MiniMax Hailuo's
 * documented behaviour (output sizes, camera commands, first frame = the image), not its pictures.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileArg, runFfmpeg } from '../../media/index.js';
import { parseCameraCommands } from './camera.js';
import { imageGraph, type Graph } from './i2v.js';
import { planCamera } from './motion.js';
import { seededRandom } from './random.js';
import { pickScene } from './scene.js';
import { sceneGraph } from './t2v.js';

export { MAX_MOVES_PER_SEGMENT, parseCameraCommands } from './camera.js';
export type { CameraMove, CameraSegment } from './camera.js';

const SHORT_SIDE = { '768p': 768, '1080p': 1080 } as const;
const TEXT_TO_VIDEO = { '768p': { width: 1366, height: 768 }, '1080p': { width: 1920, height: 1080 } } as const;

/**
 * x264 preset. Measured on the 2-core box, a 10 s 1920×1080 text-to-video render (CPU seconds,
 * filters included; file size): ultrafast 6.4 s, 5.7 MB; superfast 6.9 s, 2.5 MB; veryfast 8.1 s,
 * 1.0 MB. superfast costs 8% more CPU than ultrafast for less than half the bytes.
 */
const PRESET = 'superfast';
/** Keyframe every 2 s so a player can scrub a preview without decoding from the start. */
const GOP_SECONDS = 2;

/**
 * The output size MiniMax Hailuo produces. Text-to-video is 16:9 (1366×768 or 1920×1080).
 * Image-to-video keeps the image's aspect ratio: the short side is 768 or 1080 and the long side
 * is short × aspect, rounded to the nearest even number (4:2:0 H.264 needs even sizes).
 *
 * @example
 * outputSize('768p');                                 // { width: 1366, height: 768 }
 * outputSize('768p', { width: 900, height: 1600 });   // { width: 768, height: 1366 }
 * outputSize('1080p', { width: 1000, height: 1000 }); // { width: 1080, height: 1080 }
 */
export function outputSize(resolution: '768p' | '1080p', image?: { width: number; height: number }): { width: number; height: number } {
  const short = SHORT_SIDE[resolution];
  if (short === undefined) throw new RangeError(`unsupported resolution: ${String(resolution)}`);
  if (!image) return { ...TEXT_TO_VIDEO[resolution] };
  const { width, height } = image;
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0)) {
    throw new RangeError(`image size must be positive, got ${width}×${height}`);
  }
  const long = 2 * Math.round((short * Math.max(width, height)) / Math.min(width, height) / 2);
  return width >= height ? { width: long, height: short } : { width: short, height: long };
}

/**
 * The output half of every sandbox encode: H.264 High at constant `fps`, yuv420p flagged BT.709,
 * no other streams, moov first, MP4. Exported so the benchmark's bare-encode baseline is the same
 * encode.
 *
 * @example
 * runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=1366x768:r=24', '-frames:v', '144', ...encoderArgs(24), 'out.mp4']);
 */
export function encoderArgs(fps: number): string[] {
  return [
    '-r', String(fps),
    '-c:v', 'libx264', '-preset', PRESET, '-crf', '23', '-profile:v', 'high',
    '-g', String(Math.max(1, Math.round(fps * GOP_SECONDS))),
    '-pix_fmt', 'yuv420p',
    '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709',
    '-an', '-sn', '-dn', '-map_metadata', '-1',
    '-movflags', '+faststart',
    '-f', 'mp4',
  ];
}

export interface RenderSpec {
  prompt: string;
  width: number;
  height: number;
  durationSeconds: number;
  fps: number;
  /** First-frame image (JPEG, PNG or WebP); without it the render is text-to-video. */
  imagePath?: string;
  /** Varies the picture between renders of the same prompt (the job id, typically). */
  seed?: string;
}

function checkSpec(spec: RenderSpec): number {
  const { width, height, fps, durationSeconds } = spec;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width % 2 || height % 2) {
    throw new RangeError(`width and height must be even integers ≥ 16, got ${width}×${height}`);
  }
  if (!(fps > 0 && fps <= 120)) throw new RangeError(`fps must be in (0, 120], got ${fps}`);
  const frames = Math.round(durationSeconds * fps);
  if (!(frames >= 1 && frames <= 120 * 60)) throw new RangeError(`duration must give 1…${120 * 60} frames, got ${durationSeconds}s`);
  return frames;
}

/**
 * Renders `spec` to an MP4 at `outFile`: H.264 High, yuv420p, BT.709, constant `fps`, exactly
 * round(durationSeconds × fps) frames, no audio, moov first. Writes to `outFile + '.part'` and
 * renames on success, so `outFile` never holds a partial video; on failure or abort the part file
 * is removed. `onProgress` gets non-decreasing fractions, 1 last.
 *
 * @example
 * await renderVideo(
 *   { prompt: 'A lighthouse at dusk [Pan left]', width: 1366, height: 768, durationSeconds: 6, fps: 24 },
 *   '/tmp/out.mp4',
 *   { onProgress: (f) => console.log(Math.round(f * 100), '%') },
 * );
 */
export async function renderVideo(
  spec: RenderSpec,
  outFile: string,
  opts: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<void> {
  const frames = checkSpec(spec);
  const { width, height, fps } = spec;
  const { segments, text } = parseCameraCommands(spec.prompt);
  const seed = spec.seed ?? '';
  const path = planCamera(segments, frames, fps, seededRandom('camera', text, seed));
  const partFile = `${outFile}.part`;
  const dir = await mkdtemp(join(tmpdir(), 'reelay-render-'));
  let last = -1;
  const report = (fraction: number): void => {
    const clamped = Math.min(Math.max(fraction, 0), 1);
    if (clamped <= last) return;
    last = clamped;
    opts.onProgress?.(clamped);
  };
  try {
    const built: Graph = spec.imagePath
      ? await imageGraph(spec.imagePath, width, height, frames, fps, path, dir)
      : await sceneGraph(pickScene(seededRandom('scene', text, seed), text), text, width, height, frames, fps, path, dir);
    const script = join(dir, 'graph.txt');
    await writeFile(script, built.graph, 'utf8');
    report(0);
    await runFfmpeg(
      [
        ...built.inputArgs,
        '-filter_complex_script', script,
        '-map', '[v]',
        '-frames:v', String(frames),
        ...encoderArgs(fps),
        fileArg(partFile),
      ],
      {
        ...(opts.signal ? { signal: opts.signal } : {}),
        // Held below 1 until the file is in place: the muxer's faststart pass runs after the last frame.
        onProgress: (seconds) => report(Math.min(0.99, seconds / spec.durationSeconds)),
      },
    );
    await rename(partFile, outFile);
    report(1);
  } catch (err) {
    await rm(partFile, { force: true });
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
