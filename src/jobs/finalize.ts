import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlobStore } from '../storage/index.js';
import { makePoster, probeVideo, sha256File } from '../media/index.js';
import type { JobResult } from './types.js';

/** Where one attempt at a job stores its files: its own prefix, so no other attempt's cleanup can reach them. */
export function attemptPrefix(jobId: string, attempt: string): string {
  return `jobs/${jobId}/${attempt}/`;
}

/**
 * The file is not a video ffprobe can read: the bytes' fault (the upstream's, or a cut download),
 * not ours. Every other error of `storeResult` (storage, a probe that could not even start) is ours.
 */
export class UnreadableVideo extends Error {
  override readonly name = 'UnreadableVideo';
}

/** Probes, telling "ffprobe ran and rejected the file" from "ffprobe could not run" (ENOENT, EAGAIN, ENOMEM). */
async function probeOrUnreadable(file: string): ReturnType<typeof probeVideo> {
  try {
    return await probeVideo(file);
  } catch (err) {
    const code = ((err as Error).cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') throw err; // a spawn error: our machine, not the file
    throw new UnreadableVideo((err as Error).message, { cause: err });
  }
}

/**
 * Turns a finished local MP4 into stored result files: probes it (what we report is what the file
 * is, not what we asked for), makes a poster frame, hashes it, and moves both into the blob store
 * under `attemptPrefix(jobId, attempt)`. The keys go into the job's result, so readers never
 * guess them.
 */
export async function storeResult(blobs: BlobStore, jobId: string, localVideo: string, attempt: string): Promise<JobResult> {
  const probe = await probeOrUnreadable(localVideo);
  const sha256 = await sha256File(localVideo);
  const posterLocal = join(dirname(localVideo), `${jobId}-${attempt}-poster.jpg`);
  try {
    await makePoster(localVideo, posterLocal);
    const videoKey = `${attemptPrefix(jobId, attempt)}video.mp4`;
    const posterKey = `${attemptPrefix(jobId, attempt)}poster.jpg`;
    const video = await blobs.putFile(videoKey, localVideo, 'video/mp4');
    const poster = await blobs.putFile(posterKey, posterLocal, 'image/jpeg');
    return {
      video: {
        key: videoKey,
        contentType: 'video/mp4',
        bytes: video.size,
        width: probe.width,
        height: probe.height,
        fps: probe.fps,
        durationSeconds: probe.durationSeconds,
        sha256,
        codec: probe.codec,
      },
      poster: { key: posterKey, contentType: 'image/jpeg', bytes: poster.size },
    };
  } finally {
    await rm(posterLocal, { force: true });
  }
}
