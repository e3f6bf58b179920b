import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { ffmpegPath } from '../../src/media/index.js';

const run = promisify(execFile);

/** A real image file made by ffmpeg: left half red, right half blue (so orientation is checkable). */
export async function makeImage(file: string, width: number, height: number): Promise<Buffer> {
  const half = Math.floor(width / 2);
  await run(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=red:s=${width}x${height}`,
    '-f', 'lavfi', '-i', `color=c=blue:s=${width - half}x${height}`,
    '-filter_complex', `[0][1]overlay=x=${half}:y=0`,
    '-frames:v', '1', file,
  ]);
  return readFile(file);
}

/** Average RGB of the left and right halves of an image or of a video's first frame. */
export async function halvesRgb(file: string): Promise<[number[], number[]]> {
  const { stdout } = await run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-i', file, '-frames:v', '1', '-vf', 'format=rgb24,scale=2:1:flags=area', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
  });
  const b = stdout as unknown as Buffer;
  return [[b[0]!, b[1]!, b[2]!], [b[3]!, b[4]!, b[5]!]];
}
