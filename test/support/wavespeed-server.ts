/**
 * A WaveSpeedAI-compatible API on loopback, speaking REST v3 as documented
 * (reference/upstream-aggregators.md §1): submit to `/api/v3/<model id>` (with `?webhook=`),
 * the `{code, message, data}` envelope, `GET /api/v3/predictions/<id>/result`, DELETE to cancel,
 * `GET /api/v3/webhook/secret`, and `v3` HMAC-signed webhooks carrying the bare prediction.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { sampleVideo } from './minimax-server.js';
import { FakeUpstream, isImageRef, type Fault, type FakeTask } from './fake-upstream.js';

/** A task failure as WaveSpeed reports it: a task code with its error, or a terminal status word. */
export type WavespeedFailure = { code: number; error: string } | { status: 'timeout' | 'cancelled' | 'weird' };

export const WAVESPEED_IDS = ['t2v-standard', 't2v-pro', 'i2v-standard', 'i2v-pro', 'fast', 'fast-pro'].map((v) => `minimax/hailuo-2.3/${v}`);

/** Protocol-faithful fault bodies (the balance one is S in the reference). */
export const WS_FAULTS = {
  balance: { kind: 'http', status: 200, body: { code: 400, message: 'Insufficient credits. Please top up your account.', data: null } },
  rateLimited: (retryAfterSeconds?: number): Fault => ({ kind: 'http', status: 429, body: { message: 'Too Many Requests', error_code: 429 }, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) }),
  serverError: { kind: 'http', status: 500, body: { message: 'Internal Server Error', error_code: 5000 } },
} satisfies Record<string, Fault | ((n?: number) => Fault)>;

export class FakeWavespeed extends FakeUpstream<WavespeedFailure> {
  readonly secret = `whsec_${randomBytes(24).toString('hex')}`;
  readonly submits: Array<{ model: string; body: Record<string, unknown>; query: Record<string, string>; taskId: string | null }> = [];

  protected endpointOf(method: string, path: string): { endpoint: string; taskId?: string } | null {
    if (method === 'POST' && WAVESPEED_IDS.includes(path.replace(/^\/api\/v3\//, ''))) return { endpoint: 'submit' };
    const m = /^\/api\/v3\/predictions\/([^/]+)(\/result)?$/.exec(path);
    if (m && method === 'GET' && m[2]) return { endpoint: 'result', taskId: m[1]! };
    if (m && method === 'DELETE' && !m[2]) return { endpoint: 'delete', taskId: m[1]! };
    if (method === 'GET' && path === '/api/v3/webhook/secret') return { endpoint: 'secret' };
    return null;
  }

  protected async handle(endpoint: string, req: IncomingMessage, u: URL, text: string, taskId: string | undefined, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    if (req.headers.authorization !== `Bearer ${this.o.apiKey}`) return this.json(res, 401, { message: 'Invalid API key', error_code: 401 });
    if (endpoint === 'secret') return this.json(res, 200, { code: 200, message: 'success', data: { secret: this.secret } });
    if (endpoint === 'submit') return this.submit(u, text, res);
    const t = this.tasks.get(taskId ?? '');
    if (!t) return this.json(res, 404, { message: 'Prediction not found', error_code: 404 });
    if (endpoint === 'delete') {
      t.canceled = true;
      return this.json(res, 200, { code: 200, message: 'success', data: { id: t.id, status: 'deleted' } });
    }
    return this.json(res, 200, { code: 200, message: 'success', data: this.prediction(t, fault?.kind === 'expired') });
  }

  private submit(u: URL, text: string, res: ServerResponse): void {
    const model = u.pathname.replace(/^\/api\/v3\//, '');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.json(res, 400, { message: 'invalid JSON', error_code: 1401 });
    }
    const entry = { model, body: { ...body }, query: Object.fromEntries(u.searchParams), taskId: null as string | null };
    if (typeof body.image === 'string' && body.image.startsWith('data:')) entry.body.image = `${body.image.slice(0, 30)}…(${body.image.length})`;
    this.submits.push(entry);
    const bad = (msg: string) => this.json(res, 400, { message: `Invalid Parameter: ${msg}`, error_code: 1401 });
    const variant = model.split('/').pop()!;
    const i2v = !variant.startsWith('t2v');
    if (!i2v && (typeof body.prompt !== 'string' || body.prompt === '')) return bad('prompt is required');
    if (i2v && !isImageRef(body.image)) return bad('image is required');
    const pro = variant.endsWith('-pro');
    if (pro ? body.duration !== undefined : ![6, 10].includes(body.duration as number)) return bad(`duration ${JSON.stringify(body.duration)}`);
    if (body.enable_prompt_expansion !== undefined && typeof body.enable_prompt_expansion !== 'boolean') return bad('enable_prompt_expansion');
    for (const k of Object.keys(body)) if (!['prompt', 'image', 'duration', 'enable_prompt_expansion', 'go_fast', 'enable_sync_mode'].includes(k)) return bad(`unknown field ${k}`);
    const t = this.addTask(model, body, u.searchParams.get('webhook'));
    entry.taskId = t.id;
    this.json(res, 200, { code: 200, message: 'success', data: { ...this.prediction(t, false), status: 'created' } });
  }

  private prediction(t: FakeTask<WavespeedFailure>, expired: boolean): Record<string, unknown> {
    const base = { id: t.id, model: t.model, outputs: [] as string[], urls: { get: `${this.url}/api/v3/predictions/${t.id}/result` }, has_nsfw_contents: [], created_at: new Date(t.createdAt).toISOString(), error: '', timings: { inference: 0 } };
    if (t.canceled) return { ...base, status: 'cancelled' };
    const phase = this.phaseOf(t);
    if (phase === 'queued') return { ...base, status: 'created' };
    if (phase === 'running') return { ...base, status: 'processing' };
    const f = t.plan.failure;
    if (!f) return { ...base, status: 'completed', outputs: [this.videoLink(expired)], has_nsfw_contents: [false], executionTime: t.plan.durationMs };
    if ('code' in f) return { ...base, status: 'failed', code: f.code, error: f.error };
    return { ...base, status: f.status };
  }

  protected async deliver(t: FakeTask<WavespeedFailure>): Promise<void> {
    const body = JSON.stringify(this.prediction(t, false));
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const ts = String(Math.floor(Date.now() / 1000));
    const bad = this.takeBadSignature();
    const key = bad ? 'whsec_wrong' : this.secret;
    const sig = createHmac('sha256', key.replace(/^whsec_/, '')).update(`${id}.${ts}.${body}`).digest('hex');
    await this.post(t.webhook!, body, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v3,${sig}` }, t.id, bad ? 'bad' : 'good');
  }
}

/**
 * @example
 * const ws = await startFakeWavespeed({ apiKey: 'ws-key', taskMs: 1200 });
 * // … startReelay({ wavespeedApiKey: 'ws-key', wavespeedBaseUrl: ws.url, … })
 */
export async function startFakeWavespeed(o: { apiKey: string; taskMs?: number }): Promise<FakeWavespeed> {
  return new FakeWavespeed({ ...o, video: await sampleVideo() }).start();
}
