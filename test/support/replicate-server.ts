/**
 * A Replicate-compatible predictions API on loopback (reference/upstream-aggregators.md §3):
 * create on an official model (`/v1/models/<owner>/<name>/predictions`) with `webhook` +
 * `webhook_events_filter`, get, cancel, the webhook signing secret, RFC 7807 errors, the six
 * statuses (`aborted` and `canceled` apart), outputs removed after an hour (`data_removed`), and
 * Standard Webhooks signatures.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { sampleVideo } from './minimax-server.js';
import { FakeUpstream, isImageRef, type Fault, type FakeTask } from './fake-upstream.js';

export type ReplicateFailure = { status: 'failed'; error: string } | { status: 'aborted' } | { status: 'canceled' } | { status: 'weird' };

export const REPLICATE_MODELS = ['minimax/hailuo-2.3', 'minimax/hailuo-2.3-fast'];

export const REPLICATE_FAULTS = {
  balance: {
    kind: 'http',
    status: 402,
    body: { title: 'Insufficient credit', detail: 'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit.', status: 402 },
  },
  rateLimited: (retryAfterSeconds?: number): Fault => ({ kind: 'http', status: 429, body: { detail: 'Request was throttled. Your rate limit resets in ~30s.', status: 429 }, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) }),
  serverError: { kind: 'http', status: 502, body: { title: 'Bad Gateway', status: 502 } },
} satisfies Record<string, Fault | ((n?: number) => Fault)>;

/** The moderation failure as observed (S). */
export const REPLICATE_FLAGGED: ReplicateFailure = { status: 'failed', error: 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)' };

export class FakeReplicate extends FakeUpstream<ReplicateFailure> {
  readonly secret = `whsec_${randomBytes(32).toString('base64')}`;
  readonly creates: Array<{ model: string; body: Record<string, unknown>; taskId: string | null }> = [];
  private readonly removed = new Set<string>();

  /** Replicate's one-hour retention has passed for this prediction. */
  removeData(taskId: string): void {
    this.removed.add(taskId);
  }

  protected endpointOf(method: string, path: string): { endpoint: string; taskId?: string } | null {
    const create = /^\/v1\/models\/(.+)\/predictions$/.exec(path);
    if (method === 'POST' && create && REPLICATE_MODELS.includes(create[1]!)) return { endpoint: 'create' };
    const m = /^\/v1\/predictions\/([^/]+)(\/cancel)?$/.exec(path);
    if (m && method === 'GET' && !m[2]) return { endpoint: 'get', taskId: m[1]! };
    if (m && method === 'POST' && m[2]) return { endpoint: 'cancel', taskId: m[1]! };
    if (method === 'GET' && path === '/v1/webhooks/default/secret') return { endpoint: 'secret' };
    return null;
  }

  protected async handle(endpoint: string, req: IncomingMessage, u: URL, text: string, taskId: string | undefined, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    if (req.headers.authorization !== `Bearer ${this.o.apiKey}`) return this.json(res, 401, { title: 'Unauthenticated', detail: 'You did not pass a valid authentication token', status: 401 });
    if (endpoint === 'secret') return this.json(res, 200, { key: this.secret });
    if (endpoint === 'create') return this.create(u, text, res);
    const t = this.tasks.get(taskId ?? '');
    if (!t) return this.json(res, 404, { title: 'Not found', detail: 'The requested resource could not be found.', status: 404 });
    if (endpoint === 'cancel' && this.phaseOf(t) !== 'done') t.canceled = true;
    return this.json(res, 200, this.prediction(t, fault?.kind === 'expired'));
  }

  private create(u: URL, text: string, res: ServerResponse): void {
    const model = /^\/v1\/models\/(.+)\/predictions$/.exec(u.pathname)![1]!;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.json(res, 400, { title: 'Invalid JSON', status: 400 });
    }
    const input = (body.input ?? {}) as Record<string, unknown>;
    const record = { ...body, input: { ...input } };
    if (typeof input.first_frame_image === 'string' && input.first_frame_image.startsWith('data:')) (record.input as Record<string, unknown>).first_frame_image = `${input.first_frame_image.slice(0, 30)}…(${input.first_frame_image.length})`;
    const entry = { model, body: record, taskId: null as string | null };
    this.creates.push(entry);
    const bad = (detail: string) => this.json(res, 422, { title: 'Input validation failed', detail, status: 422 });
    if (typeof input.prompt !== 'string' || input.prompt === '') return bad('- input: prompt is required');
    if (input.first_frame_image !== undefined && !isImageRef(input.first_frame_image)) return bad('- input.first_frame_image: Does not match format \'uri\'');
    if (model.endsWith('-fast') && input.first_frame_image === undefined) return bad('- input: first_frame_image is required');
    if (!['768p', '1080p'].includes(String(input.resolution ?? '768p'))) return bad('- input.resolution: must be one of the following: "768p", "1080p"');
    if (![6, 10].includes((input.duration ?? 6) as number)) return bad('- input.duration: must be one of the following: 6, 10');
    if (input.resolution === '1080p' && input.duration === 10) return bad('- input.duration: 1080p supports only 6-second duration');
    const webhook = typeof body.webhook === 'string' ? body.webhook : null;
    const t = this.addTask(model, input, webhook);
    entry.taskId = t.id;
    this.json(res, 201, this.prediction(t, false));
  }

  private prediction(t: FakeTask<ReplicateFailure>, expired: boolean): Record<string, unknown> {
    const base = {
      id: t.id,
      model: t.model,
      version: 'hidden',
      input: t.input,
      logs: '',
      output: null as unknown,
      data_removed: false,
      error: null as unknown,
      created_at: new Date(t.createdAt).toISOString(),
      urls: { get: `${this.url}/v1/predictions/${t.id}`, cancel: `${this.url}/v1/predictions/${t.id}/cancel`, web: `https://replicate.com/p/${t.id}` },
    };
    if (t.canceled) return { ...base, status: 'canceled' };
    const phase = this.phaseOf(t);
    if (phase === 'queued') return { ...base, status: 'starting' };
    if (phase === 'running') return { ...base, status: 'processing', logs: 'Generating video...' };
    if (this.removed.has(t.id)) return { ...base, status: 'succeeded', data_removed: true, input: {} };
    const f = t.plan.failure;
    if (!f) return { ...base, status: 'succeeded', output: this.videoLink(expired), metrics: { predict_time: t.plan.durationMs / 1000 }, completed_at: new Date().toISOString() };
    return { ...base, status: f.status, ...('error' in f ? { error: f.error } : {}) };
  }

  protected async deliver(t: FakeTask<ReplicateFailure>): Promise<void> {
    const body = JSON.stringify(this.prediction(t, false));
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const ts = String(Math.floor(Date.now() / 1000));
    const bad = this.takeBadSignature();
    const key = Buffer.from(bad ? randomBytes(32) : Buffer.from(this.secret.slice('whsec_'.length), 'base64'));
    const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
    await this.post(t.webhook!, body, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` }, t.id, bad ? 'bad' : 'good');
  }
}

/**
 * @example
 * const rep = await startFakeReplicate({ apiKey: 'r8_test' });
 * // … startReelay({ replicateApiToken: 'r8_test', replicateBaseUrl: `${rep.url}/v1`, … })
 */
export async function startFakeReplicate(o: { apiKey: string; taskMs?: number }): Promise<FakeReplicate> {
  return new FakeReplicate({ ...o, video: await sampleVideo() }).start();
}
