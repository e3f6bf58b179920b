/**
 * What we can learn about a finished file without decoding it: ffprobe's view of the streams, the
 * MP4 box order, and a content hash.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ffprobePath, fileArg } from './ffmpeg.js';

const execFileAsync = promisify(execFile);

export interface VideoProbe {
  width: number;
  height: number;
  /** Frames per second, from `avg_frame_rate` (falling back to `r_frame_rate`). */
  fps: number;
  /** The container's duration (`format.duration`). */
  durationSeconds: number;
  /** ffprobe's codec name, e.g. `h264`. */
  codec: string;
  /** e.g. `yuv420p`. */
  pixFmt: string;
  /** e.g. `High`, when the codec reports one. */
  profile?: string;
  bytes: number;
  /** `nb_frames`, when the container records it (MP4 does). */
  frames?: number;
  hasAudio: boolean;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  profile?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string; size?: string };
}

/** `"24/1"` → 24; `"0/0"` or junk → undefined. */
function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [num, den] = rate.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num)) return undefined;
  const value = den === undefined ? num : num / den;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Probes the first video stream of a file with ffprobe.
 *
 * @example
 * const p = await probeVideo('out.mp4');
 * // { width: 1366, height: 768, fps: 24, durationSeconds: 6, codec: 'h264', pixFmt: 'yuv420p', … }
 */
export async function probeVideo(file: string): Promise<VideoProbe> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', fileArg(file)];
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(ffprobePath(), args, { maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    const detail = typeof stderr === 'string' && stderr.trim() ? stderr.trim().slice(-2048) : String(err);
    throw new Error(`ffprobe failed on ${file}: ${detail}`, { cause: err });
  }
  const json = JSON.parse(stdout) as ProbeJson;
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  if (!video || !video.width || !video.height) throw new Error(`no video stream in ${file}`);
  const fps = parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);
  if (fps === undefined) throw new Error(`no frame rate for the video stream in ${file}`);
  const frames = video.nb_frames === undefined ? undefined : Number(video.nb_frames);
  const bytes = json.format?.size !== undefined ? Number(json.format.size) : (await stat(file)).size;
  return {
    width: video.width,
    height: video.height,
    fps,
    durationSeconds: Number(json.format?.duration ?? NaN),
    codec: video.codec_name ?? 'unknown',
    pixFmt: video.pix_fmt ?? 'unknown',
    ...(video.profile ? { profile: video.profile } : {}),
    bytes,
    ...(frames !== undefined && Number.isFinite(frames) ? { frames } : {}),
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
  };
}

/**
 * True when an MP4's `moov` box comes before its `mdat` box, so a browser can start playing before
 * the whole file has arrived. Reads only the top-level box headers.
 *
 * @example
 * if (!(await probeFaststart('out.mp4'))) throw new Error('encode with -movflags +faststart');
 */
export async function probeFaststart(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset + 8 <= size) {
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      if (bytesRead < 8) return false;
      const type = header.toString('latin1', 4, 8);
      if (type === 'moov') return true;
      if (type === 'mdat') return false;
      let boxSize = header.readUInt32BE(0);
      if (boxSize === 1) {
        // 64-bit "largesize" follows the type.
        if (bytesRead < 16) return false;
        boxSize = Number(header.readBigUInt64BE(8));
      } else if (boxSize === 0) {
        return false; // the box runs to end of file, so no moov follows it
      }
      if (boxSize < 8) return false; // corrupt; stop rather than loop forever
      offset += boxSize;
    }
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * Hex SHA-256 of a file, streamed so a large video never sits in memory.
 *
 * @example
 * const etag = await sha256File('out.mp4'); // 'e3b0c442…'
 */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
