import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortError,
  fileArg,
  filterValue,
  ffmpegPath,
  ffprobePath,
  fontPath,
  makePoster,
  probeFaststart,
  probeVideo,
  runFfmpeg,
  sha256File,
} from '../../src/media/index.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelay-media-test-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A short real clip: testsrc2 video (and a sine tone when asked), H.264 in MP4. */
async function makeClip(file: string, opts: { seconds: number; fps?: number; audio?: boolean; faststart?: boolean; size?: string }): Promise<void> {
  const { seconds, fps = 25, audio = false, faststart = true, size = '320x240' } = opts;
  await runFfmpeg([
    '-f', 'lavfi', '-i', `testsrc2=s=${size}:r=${fps}:d=${seconds}`,
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`] : []),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    ...(audio ? ['-c:a', 'aac', '-shortest'] : []),
    ...(faststart ? ['-movflags', '+faststart'] : []),
    fileArg(file),
  ]);
}

describe('binaries', () => {
  test('ffmpeg and ffprobe resolve to executable files, and the same path every time', async () => {
    for (const bin of [ffmpegPath(), ffprobePath()]) {
      await access(bin, fsConstants.X_OK);
    }
    assert.equal(ffmpegPath(), ffmpegPath());
  });

  test('fontPath is the DejaVu Sans TrueType file', async () => {
    assert.match(fontPath(), /DejaVuSans\.ttf$/);
    const head = (await readFile(fontPath())).subarray(0, 4);
    assert.deepEqual([...head], [0, 1, 0, 0]); // TrueType sfnt version 1.0
  });
});

describe('runFfmpeg', () => {
  test('resolves on success and reports output time that rises to the clip length', async () => {
    const out = join(dir, 'progress.mp4');
    const seen: number[] = [];
    await runFfmpeg(
      ['-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=24:d=3', '-c:v', 'libx264', '-preset', 'ultrafast', fileArg(out)],
      { onProgress: (s) => seen.push(s) },
    );
    assert.ok(seen.length >= 1, 'at least the final progress block');
    for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) >= (seen[i - 1] as number), `progress went back: ${seen.join(',')}`);
    assert.ok(Math.abs((seen.at(-1) as number) - 3) < 0.1, `last progress ${seen.at(-1)} ≈ 3 s`);
    assert.equal((await probeVideo(out)).frames, 72);
  });

  test('rejects with the tail of stderr when ffmpeg fails', async () => {
    await assert.rejects(
      runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=d=1', '-vf', 'nosuchfilter', '-f', 'null', '-']),
      (err: Error) => err.message.includes('exited with code') && /No such filter/i.test(err.message),
    );
  });

  test('an abort kills ffmpeg promptly and rejects with AbortError', async () => {
    const controller = new AbortController();
    const started = Date.now();
    // An endless encode: only the abort can end it.
    const run = runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=24', '-c:v', 'libx264', '-f', 'null', '-'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(run, (err: Error) => err instanceof AbortError && err.name === 'AbortError');
    assert.ok(Date.now() - started < 5000, 'settled soon after the abort');
  });

  test('an already-aborted signal rejects without running anything', async () => {
    const out = join(dir, 'never.mp4');
    await assert.rejects(
      runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=d=1', fileArg(out)], { signal: AbortSignal.abort() }),
      { name: 'AbortError' },
    );
    await assert.rejects(stat(out), { code: 'ENOENT' });
  });
});

describe('probeVideo', () => {
  test('reports size, rate, duration, codec, frames and audio of a real file', async () => {
    const file = join(dir, 'probe.mp4');
    await makeClip(file, { seconds: 2, fps: 25, audio: true, size: '426x240' });
    const p = await probeVideo(file);
    assert.equal(p.width, 426);
    assert.equal(p.height, 240);
    assert.equal(p.fps, 25);
    assert.equal(p.codec, 'h264');
    assert.equal(p.pixFmt, 'yuv420p');
    assert.equal(p.frames, 50);
    assert.equal(p.hasAudio, true);
    assert.ok(Math.abs(p.durationSeconds - 2) < 0.1, `duration ${p.durationSeconds}`);
    assert.equal(p.bytes, (await stat(file)).size);
  });

  test('a silent clip has no audio; a non-video file is an error', async () => {
    const file = join(dir, 'silent.mp4');
    await makeClip(file, { seconds: 1 });
    assert.equal((await probeVideo(file)).hasAudio, false);
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, 'not a video at all');
    await assert.rejects(probeVideo(junk), /ffprobe failed|no video stream/);
  });
});

describe('probeFaststart', () => {
  test('true with +faststart, false without', async () => {
    const fast = join(dir, 'fast.mp4');
    const slow = join(dir, 'slow.mp4');
    await makeClip(fast, { seconds: 1, faststart: true });
    await makeClip(slow, { seconds: 1, faststart: false });
    assert.equal(await probeFaststart(fast), true);
    assert.equal(await probeFaststart(slow), false);
  });

  test('follows 64-bit box sizes and stops on a truncated file', async () => {
    const box = (type: string, payload: number): Buffer => {
      const b = Buffer.alloc(8 + payload);
      b.writeUInt32BE(8 + payload, 0);
      b.write(type, 4, 'latin1');
      return b;
    };
    const large = Buffer.alloc(16 + 4);
    large.writeUInt32BE(1, 0);
    large.write('free', 4, 'latin1');
    large.writeBigUInt64BE(20n, 8);
    const moovAfterLarge = join(dir, 'large.mp4');
    await writeFile(moovAfterLarge, Buffer.concat([box('ftyp', 8), large, box('moov', 8), box('mdat', 16)]));
    assert.equal(await probeFaststart(moovAfterLarge), true);
    const truncated = join(dir, 'truncated.mp4');
    await writeFile(truncated, box('ftyp', 8).subarray(0, 6));
    assert.equal(await probeFaststart(truncated), false);
  });
});

describe('makePoster', () => {
  test('writes a JPEG of the requested frame at the video size', async () => {
    const video = join(dir, 'poster-src.mp4');
    await makeClip(video, { seconds: 2, size: '640x360' });
    const jpeg = join(dir, 'poster.jpg');
    await makePoster(video, jpeg, 1);
    const bytes = await readFile(jpeg);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    const p = await probeVideo(jpeg);
    assert.equal(p.codec, 'mjpeg');
    assert.deepEqual([p.width, p.height], [640, 360]);
  });

  test('a time past the end is an error and leaves no file', async () => {
    const video = join(dir, 'short.mp4');
    await makeClip(video, { seconds: 1 });
    const jpeg = join(dir, 'late.jpg');
    await assert.rejects(makePoster(video, jpeg, 30), /no frame/);
    await assert.rejects(stat(jpeg), { code: 'ENOENT' });
  });
});

describe('sha256File', () => {
  test('matches the hash of the whole content', async () => {
    const file = join(dir, 'hash.bin');
    const content = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await writeFile(file, content);
    assert.equal(await sha256File(file), createHash('sha256').update(content).digest('hex'));
  });
});

describe('filterValue', () => {
  test('a font path full of filtergraph syntax still reaches drawtext intact', async () => {
    // Every character that means something to the option or graph parser.
    const weird = join(dir, "it's [a]:b,c;d\\e");
    await mkdir(weird, { recursive: true });
    const font = join(weird, 'font.ttf');
    await copyFile(fontPath(), font);
    const text = join(weird, 'text.txt');
    await writeFile(text, 'hello');
    await runFfmpeg([
      '-f', 'lavfi', '-i', 'color=c=black:s=160x90:d=0.1',
      '-vf', `drawtext=fontfile=${filterValue(font)}:textfile=${filterValue(text)}:fontcolor=white:fontsize=40`,
      '-f', 'null', '-',
    ]);
  });
});
