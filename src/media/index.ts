/**
 * The media folder's public surface: the bundled ffmpeg/ffprobe, running them, probing what they
 * made, and vetting first-frame images. Other folders import from here only.
 */
export { AbortError, fileArg, filterValue, ffmpegPath, ffprobePath, fontPath, makePoster, runFfmpeg } from './ffmpeg.js';
export type { RunFfmpegOptions } from './ffmpeg.js';
export { probeFaststart, probeVideo, sha256File } from './probe.js';
export type { VideoProbe } from './probe.js';
export * from './image.js';
