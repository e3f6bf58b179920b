import { createWriteStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { loadClientSettings } from '../config.js';
import { JobFailedError, Reelay, ReelayError, type GenerateInput, type Job } from '../client/index.js';
import { EXIT, exitCodeFor, flag, has, UsageError, type Args } from './args.js';
import { InterruptGuard } from './interrupt.js';
import { ProgressLine } from './progress.js';

const MIME: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

/** `--image` as a local file (sent as a data: URI) or a URL (sent as is). */
async function imageArg(value: string): Promise<string> {
  if (/^https?:\/\//i.test(value) || value.startsWith('data:')) return value;
  if (!existsSync(value)) throw new UsageError(`--image: no such file "${value}" (and not an http(s) URL)`);
  const mime = MIME[extname(value).toLowerCase()];
  if (!mime) throw new UsageError(`--image: "${value}" is not a .jpg, .png or .webp file`);
  return `data:${mime};base64,${(await readFile(value)).toString('base64')}`;
}

/** Prints an API or connection error helpfully and returns the exit code. */
export function reportError(err: unknown, url: string): number {
  if (err instanceof UsageError) {
    process.stderr.write(`reelay: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof ReelayError) {
    const hint =
      err.status === 401 ? ' (check REELAY_API_KEY or --key)' : err.status === 402 ? ` (needs ${String(err.body?.creditsRequired)} credits, have ${String(err.body?.creditsAvailable)})` : '';
    process.stderr.write(`reelay: ${err.message}${hint}\n`);
    for (const [path, msgs] of Object.entries(err.details ?? {})) process.stderr.write(`  ${path}: ${msgs.join('; ')}\n`);
    return exitCodeFor(err.code);
  }
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || (err as Error).name === 'TimeoutError') {
    process.stderr.write(`reelay: cannot reach Reelay at ${url} — is it running? (start it with: npm start, or set REELAY_URL)\n`);
    return EXIT.unavailable;
  }
  throw err;
}

function client(args: Args): { reelay: Reelay; url: string } {
  const c = loadClientSettings(process.env, { url: flag(args, 'url'), apiKey: flag(args, 'key') });
  if (!c.apiKey) throw new UsageError('no API key: set REELAY_API_KEY or pass --key rl_test_…');
  return { reelay: new Reelay({ baseUrl: c.url, apiKey: c.apiKey }), url: c.url };
}

async function download(job: Job, out: string): Promise<void> {
  const res = await fetch(job.result!.videoUrl);
  if (!res.ok || !res.body) throw new Error(`download failed: HTTP ${res.status}`);
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(out));
}

/** After Ctrl-C: cancel the job on the server (releasing its credits) or say how to find it again. */
async function interrupted(reelay: Reelay, jobId: string, decision: 'cancel' | 'leave'): Promise<number> {
  if (decision === 'cancel') {
    try {
      await reelay.cancel(jobId);
      process.stderr.write(`job ${jobId} cancelled; its credits were released\n`);
    } catch (err) {
      const why = err instanceof ReelayError ? err.message : (err as Error).message;
      process.stderr.write(`reelay: could not cancel job ${jobId}: ${why}\ncheck it with: reelay jobs show ${jobId}\n`);
    }
  } else {
    process.stderr.write(`job ${jobId} keeps running (its credits stay held until it ends); check it with: reelay jobs show ${jobId}, cancel it with: reelay jobs cancel ${jobId}\n`);
  }
  return EXIT.interrupted;
}

/** `reelay generate "prompt" [--image f] [--model] [--duration] [--resolution] [--out f] [--no-wait] [--json]` */
export async function generateCommand(args: Args): Promise<number> {
  let url = '';
  try {
    const c = client(args);
    url = c.url;
    const prompt = args.positionals.join(' ').trim();
    const image = flag(args, 'image');
    const input: GenerateInput = {
      ...(prompt ? { prompt } : {}),
      hailuoParams: {
        ...(flag(args, 'duration') ? { duration: Number(flag(args, 'duration')) } : {}),
        ...(flag(args, 'resolution') ? { resolution: flag(args, 'resolution')!.toLowerCase() } : {}),
        ...(image ? { image: await imageArg(image) } : {}),
        ...(has(args, 'no-prompt-optimizer') ? { prompt_optimizer: false } : {}),
      },
    };
    const model = flag(args, 'model') ?? (image && !prompt ? 'hailuo-2.3-fast' : 'hailuo-2.3');
    const { jobId } = await c.reelay.submit(model, input);
    const json = has(args, 'json');
    if (has(args, 'no-wait')) {
      process.stdout.write(json ? `${JSON.stringify({ jobId })}\n` : `${jobId}\n`);
      return EXIT.ok;
    }
    const bar = new ProgressLine(process.stderr);
    const ac = new AbortController();
    const guard = new InterruptGuard(jobId, process.stdin, process.stderr);
    // Follows the job's event stream (each event redraws the bar); polls when the server has none.
    // Ctrl-C aborts either the same way: the signal ends the stream or the poll's sleep.
    const waiting = c.reelay.wait(jobId, {
      signal: ac.signal,
      firstDelayMs: 1000,
      onProgress: (j) => {
        if (!guard.prompting) bar.update(j.status, j.progress, j.id);
      },
    });
    let outcome: { job: Job } | { err: unknown } | { decision: 'cancel' | 'leave' };
    try {
      outcome = await Promise.race([waiting.then((job) => ({ job }), (err: unknown) => ({ err })), guard.decision.then((decision) => ({ decision }))]);
    } finally {
      guard.dispose();
    }
    if ('decision' in outcome) {
      ac.abort(new Error('interrupted'));
      await waiting.catch(() => undefined);
      return interrupted(c.reelay, jobId, outcome.decision);
    }
    bar.done();
    if ('err' in outcome) {
      const err = outcome.err;
      if (err instanceof JobFailedError) {
        process.stderr.write(`reelay: job ${jobId} ${err.job.status}: ${err.job.error ?? ''}${err.job.errorCode ? ` (${err.job.errorCode})` : ''}\n`);
        if (json) process.stdout.write(`${JSON.stringify(err.job)}\n`);
        return EXIT.jobFailed;
      }
      throw err;
    }
    const job = outcome.job;
    const out = resolve(flag(args, 'out') ?? `${jobId}.mp4`);
    await download(job, out);
    const r = job.result!;
    if (json) process.stdout.write(`${JSON.stringify({ ...job, file: out })}\n`);
    else process.stdout.write(`${out}  (${r.width}×${r.height}, ${r.durationSeconds.toFixed(1)} s, ${(r.bytes / 1e6).toFixed(1)} MB, ${job.creditCost} credits)\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, url);
  }
}

/** `reelay jobs list|show <id>|cancel <id> [--json]` */
export async function jobsCommand(args: Args): Promise<number> {
  let url = '';
  try {
    const c = client(args);
    url = c.url;
    const json = has(args, 'json');
    const [sub, id] = args.positionals;
    const print = (value: unknown, human: string) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human}\n`);
    const line = (j: Job) => `${j.id}  ${j.status.padEnd(10)} ${String(j.progress).padStart(3)}%  ${j.model.padEnd(16)} ${String(j.creditCost).padStart(4)} cr  ${j.createdAt}`;
    switch (sub) {
      case 'list': {
        const status = flag(args, 'status')?.toUpperCase() as Job['status'] | undefined;
        const page = await c.reelay.list({ limit: Number(flag(args, 'limit') ?? 20), ...(status ? { status } : {}) });
        print(page, page.jobs.map(line).join('\n') || '(no jobs)');
        return EXIT.ok;
      }
      case 'show': {
        if (!id) throw new UsageError('usage: reelay jobs show <job-id>');
        const j = await c.reelay.get(id);
        print(j, `${line(j)}${j.result ? `\nvideo: ${j.result.videoUrl}` : ''}${j.error ? `\nerror: ${j.error}` : ''}`);
        return EXIT.ok;
      }
      case 'cancel': {
        if (!id) throw new UsageError('usage: reelay jobs cancel <job-id>');
        const j = await c.reelay.cancel(id);
        print(j, `cancelled ${j.id}`);
        return EXIT.ok;
      }
      default:
        throw new UsageError('usage: reelay jobs list|show <id>|cancel <id> [--json]');
    }
  } catch (err) {
    return reportError(err, url);
  }
}
