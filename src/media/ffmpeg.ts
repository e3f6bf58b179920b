/**
 * The ffmpeg binaries and the one way we run them.
 *
 * The binaries come from npm (`@ffmpeg-installer/ffmpeg`: a static 4.x build with libx264 and
 * freetype; `@ffprobe-installer/ffprobe`: 6.x), so a self-hoster needs no system ffmpeg.
 */
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants as fsConstants } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);

/** How much of ffmpeg's stderr an error message carries: enough for the real cause, never a log dump. */
const STDERR_TAIL_CHARS = 4096;

/**
 * Rejection of an aborted operation. Shaped like Node's own (`name` and `code`) so callers can test
 * `err.name === 'AbortError'` whichever API aborted.
 */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

let ffmpegCached: string | undefined;
let ffprobeCached: string | undefined;

function installerPath(pkg: string): string {
  const mod: unknown = require(pkg);
  if (typeof mod !== 'object' || mod === null || typeof (mod as { path?: unknown }).path !== 'string') {
    throw new Error(`${pkg} did not export a binary path`);
  }
  return (mod as { path: string }).path;
}

/**
 * npm 11 does not run install scripts, and some tarballs ship the binary without its executable
 * bit (ffprobe arrives as 0744), so we set it once rather than ask every self-hoster to.
 */
function ensureExecutable(file: string): string {
  try {
    accessSync(file, fsConstants.X_OK);
  } catch {
    try {
      chmodSync(file, 0o755);
    } catch (err) {
      throw new Error(`${file} is not executable and chmod failed`, { cause: err });
    }
  }
  return file;
}

/**
 * Absolute path of the bundled ffmpeg binary, made executable on first use.
 *
 * @example
 * spawn(ffmpegPath(), ['-version']);
 */
export function ffmpegPath(): string {
  ffmpegCached ??= ensureExecutable(installerPath('@ffmpeg-installer/ffmpeg'));
  return ffmpegCached;
}

/**
 * Absolute path of the bundled ffprobe binary, made executable on first use.
 *
 * @example
 * spawn(ffprobePath(), ['-version']);
 */
export function ffprobePath(): string {
  ffprobeCached ??= ensureExecutable(installerPath('@ffprobe-installer/ffprobe'));
  return ffprobeCached;
}

/**
 * Absolute path of DejaVu Sans, the one font the sandbox draws captions with (wide Latin, Greek,
 * Cyrillic, Hebrew and Arabic coverage; no CJK).
 *
 * @example
 * const font = fontPath(); // …/node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf
 */
export function fontPath(): string {
  return join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans.ttf');
}

/**
 * Escapes a value for a filtergraph option (`fontfile=…`, `textfile=…`): first the option level
 * (`\ ' :`), then the graph level (`\ ' [ ] , ;`), as ffmpeg-filters(1) "Notes on filtergraph
 * escaping" describes. Use it for paths; user text goes through `textfile=`, never inline.
 *
 * @example
 * `drawtext=fontfile=${filterValue(fontPath())}`
 */
export function filterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/**
 * An input or output argument for a local file. The `file:` prefix stops ffmpeg from reading a name
 * such as `concat:…` or `http:…` as a protocol.
 *
 * @example
 * runFfmpeg(['-i', fileArg('in.mp4'), fileArg('out.jpg')]);
 */
export function fileArg(file: string): string {
  return `file:${resolve(file)}`;
}

export interface RunFfmpegOptions {
  signal?: AbortSignal;
  /** Called with ffmpeg's output position (seconds of output written) as it advances. */
  onProgress?: (outTimeSeconds: number) => void;
}

/**
 * Runs ffmpeg with `args`, preceded by `-hide_banner -nostdin -y -loglevel warning -progress pipe:1
 * -nostats`. Resolves when ffmpeg exits 0. Rejects with the tail of stderr on any other exit, or with
 * an {@link AbortError} once the child has been SIGKILLed and has exited, so nothing writes after
 * the promise settles.
 *
 * @example
 * await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=d=1', fileArg('out.mp4')], {
 *   onProgress: (s) => console.log(`${s}s written`),
 * });
 */
export function runFfmpeg(args: readonly string[], opts: RunFfmpegOptions = {}): Promise<void> {
  const { signal, onProgress } = opts;
  return new Promise<void>((resolvePromise, reject) => {
    if (signal?.aborted) {
      reject(new AbortError(undefined, { cause: signal.reason }));
      return;
    }
    const fullArgs = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'warning', '-progress', 'pipe:1', '-nostats', ...args];
    const child = spawn(ffmpegPath(), fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderrTail = '';
    let stdoutRest = '';
    let aborted = false;
    let spawnError: Error | undefined;
    let callbackError: unknown;

    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (stdoutRest + chunk).split('\n');
      stdoutRest = lines.pop() ?? '';
      if (!onProgress) return;
      for (const line of lines) {
        const seconds = parseProgressLine(line);
        if (seconds === undefined || callbackError !== undefined) continue;
        try {
          onProgress(seconds);
        } catch (err) {
          // A throwing callback must not become an uncaught exception in a stream handler.
          callbackError = err;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.on('error', (err) => {
      spawnError = err;
    });
    // 'close' (not 'exit') so that the stdio streams are drained before we settle.
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted) {
        reject(new AbortError(undefined, { cause: signal?.reason }));
      } else if (callbackError !== undefined) {
        reject(callbackError instanceof Error ? callbackError : new Error(String(callbackError)));
      } else if (spawnError) {
        reject(new Error(`ffmpeg could not start: ${spawnError.message}`, { cause: spawnError }));
      } else if (code === 0) {
        resolvePromise();
      } else {
        const why = code === null ? `was killed by ${sig ?? 'a signal'}` : `exited with code ${code}`;
        reject(new Error(`ffmpeg ${why}: ${stderrTail.trim() || '(no stderr)'}`));
      }
    });
  });
}

/**
 * ffmpeg 4.x writes `out_time_ms=` (in microseconds, despite its name); later versions add
 * `out_time_us=`. Both carry microseconds; `N/A` and negative values (before the first frame) are
 * skipped.
 */
function parseProgressLine(line: string): number | undefined {
  const match = /^out_time_(?:us|ms)=(-?\d+)\s*$/.exec(line);
  if (!match?.[1]) return undefined;
  const micros = Number(match[1]);
  return Number.isFinite(micros) && micros >= 0 ? micros / 1e6 : undefined;
}

/**
 * Writes a JPEG of the frame at `atSeconds` (default the first frame) of a video.
 *
 * @example
 * await makePoster('job_123.mp4', 'job_123.jpg');
 */
export async function makePoster(videoFile: string, outJpegFile: string, atSeconds = 0): Promise<void> {
  if (!Number.isFinite(atSeconds) || atSeconds < 0) throw new RangeError(`atSeconds must be >= 0, got ${atSeconds}`);
  await runFfmpeg([
    '-ss', atSeconds.toFixed(3),
    '-i', fileArg(videoFile),
    '-frames:v', '1',
    // MJPEG wants full-range YUV; converting here avoids the "non full-range" refusal.
    '-vf', 'scale=out_range=full,format=yuvj420p',
    '-q:v', '3',
    '-f', 'mjpeg',
    fileArg(outJpegFile),
  ]);
  // Seeking past the end exits 0 with nothing written; that is a failure for the caller.
  const written = await stat(outJpegFile).catch(() => undefined);
  if (!written || written.size === 0) {
    await rm(outJpegFile, { force: true });
    throw new Error(`no frame at ${atSeconds}s in ${videoFile}`);
  }
}
