import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { BlobStore } from '../../storage/index.js';
import { sleep } from '../../retry.js';
import { ProviderError, type InlineProvider, type ProviderJob } from '../types.js';
import { outputSize, renderVideo } from './render.js';
import { DEFAULT_MAX_DELAY_SECONDS, parseTriggers, TRIGGER_MESSAGES } from './triggers.js';
import { DISK_FULL_TEXT, OurOutage, outageOf } from '../../outage.js';

export { DEFAULT_MAX_DELAY_SECONDS, parseTriggers } from './triggers.js';

export interface SandboxOptions {
  /** Longest `[[sandbox:delay=N]]` honoured; longer asks wait this long (config `sandboxMaxDelaySeconds`). */
  maxDelaySeconds?: number;
}

/**
 * The sandbox engine: a preview renderer, not a neural model. It makes a real H.264 MP4 with
 * ffmpeg at exactly the requested size and duration, animating the first-frame image along the
 * prompt's camera commands, or rendering a procedural scene captioned with the prompt. Test-mode
 * keys always use it.
 */
export class SandboxProvider implements InlineProvider {
  readonly kind = 'inline';
  readonly name = 'sandbox';

  private readonly maxDelaySeconds: number;

  constructor(
    private readonly blobs: BlobStore,
    opts: SandboxOptions = {},
  ) {
    this.maxDelaySeconds = opts.maxDelaySeconds ?? DEFAULT_MAX_DELAY_SECONDS;
  }

  async render(job: ProviderJob, outFile: string, ctx: { signal: AbortSignal; onProgress: (fraction: number) => void }): Promise<void> {
    const t = parseTriggers(job.prompt, this.maxDelaySeconds);
    if (t.delaySeconds > 0) await sleep(t.delaySeconds * 1000, ctx.signal);
    if (t.fail) throw new ProviderError(t.fail, TRIGGER_MESSAGES[t.fail], false);

    const size = outputSize(job.resolution as '768p' | '1080p', job.image ?? undefined);
    let tmp: string | undefined;
    let imagePath: string | undefined;
    try {
      if (job.image) {
        imagePath = this.blobs.localPath(job.image.key) ?? undefined;
        if (!imagePath) {
          tmp = await mkdtemp(join(tmpdir(), 'reelay-sbx-'));
          imagePath = join(tmp, 'input');
          await writeFile(imagePath, await buffer(await this.blobs.read(job.image.key)));
        }
      }
      await renderVideo(
        { prompt: t.prompt, width: size.width, height: size.height, durationSeconds: job.durationSeconds, fps: 24, seed: job.jobId, ...(imagePath ? { imagePath } : {}) },
        outFile,
        { signal: ctx.signal, onProgress: ctx.onProgress },
      );
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (err instanceof ProviderError) throw err;
      // Our disk refusing the output (or the input's copy) is an outage to wait out, not a failed render.
      if (outageOf(err)) throw err;
      if (DISK_FULL_TEXT.test((err as Error).message)) throw new OurOutage('storage', 'the sandbox render could not write its output', { cause: err });
      throw new ProviderError('render_failed', `Sandbox render failed: ${(err as Error).message.slice(0, 500)}`, false);
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  }
}
