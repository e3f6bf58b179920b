/**
 * A fal.ai-compatible queue API on loopback (reference/upstream-aggregators.md §2): submit to
 * `/<model id>` (with `?fal_webhook=`), status/result/cancel under `<owner>/<app>/requests/<id>`
 * only, failures that end `COMPLETED` with the model's error status on the result, a JWKS key set,
 * and ED25519-signed webhooks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sampleVideo } from './minimax-server.js';
import { FakeUpstream, isImageRef, type Fault, type FakeTask } from './fake-upstream.js';

/** A model failure: the status and body the result call answers with, and the status body's `error`. */
export interface FalFailure {
  status: number;
  body: unknown;
  error: string;
  errorType?: string;
}

export const FAL_IDS = [
  'fal-ai/minimax/hailuo-2.3/standard/text-to-video',
  'fal-ai/minimax/hailuo-2.3/pro/text-to-video',
  'fal-ai/minimax/hailuo-2.3/standard/image-to-video',
  'fal-ai/minimax/hailuo-2.3/pro/image-to-video',
  'fal-ai/minimax/hailuo-2.3-fast/standard/image-to-video',
  'fal-ai/minimax/hailuo-2.3-fast/pro/image-to-video',
];
const APP = 'fal-ai/minimax';
export const FAL_USER_ID = 'user_2a8f1c';

export const FAL_FAULTS = {
  balance: { kind: 'http', status: 403, body: { detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.' } },
  adminLock: { kind: 'http', status: 403, body: { detail: 'User is locked. Reason: Admin lock.' } },
  rateLimited: (retryAfterSeconds?: number): Fault => ({ kind: 'http', status: 429, body: { detail: 'Too many requests' }, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) }),
  serverError: { kind: 'http', status: 503, body: { detail: 'No runner available', error_type: 'runner_scheduling_failure' }, headers: { 'x-fal-error-type': 'runner_scheduling_failure' } },
} satisfies Record<string, Fault | ((n?: number) => Fault)>;

/** The model's moderation refusal (S: the body as fal's error page is quoted). */
export const FAL_CONTENT_POLICY: FalFailure = {
  status: 422,
  body: { detail: [{ loc: ['body', 'prompt'], msg: 'The content could not be processed because it contained material flagged by a content checker.', type: 'content_policy_violation', ctx: { categories: ['model_moderated'] } }] },
  error: 'Invalid status code: 422',
  errorType: 'content_policy_violation',
};

export class FakeFal extends FakeUpstream<FalFailure> {
  /** The `<owner>/<app>` this fake serves requests under (tests move it to break fal's documented rule). */
  app = APP;
  readonly submits: Array<{ model: string; body: Record<string, unknown>; query: Record<string, string>; taskId: string | null }> = [];
  private readonly keys: { publicKey: KeyObject; privateKey: KeyObject } = generateKeyPairSync('ed25519');
  /** Signs webhooks with a key that is not in the set. */
  private readonly stranger = generateKeyPairSync('ed25519');

  protected endpointOf(method: string, path: string): { endpoint: string; taskId?: string } | null {
    if (method === 'GET' && path === '/.well-known/jwks.json') return { endpoint: 'jwks' };
    if (method === 'POST' && FAL_IDS.includes(path.slice(1))) return { endpoint: 'submit' };
    const m = new RegExp(`^/${this.app}/requests/([^/]+)(/status|/cancel)?$`).exec(path);
    if (!m) return null;
    if (method === 'GET' && m[2] === '/status') return { endpoint: 'status', taskId: m[1]! };
    if (method === 'GET' && !m[2]) return { endpoint: 'result', taskId: m[1]! };
    if (method === 'PUT' && m[2] === '/cancel') return { endpoint: 'cancel', taskId: m[1]! };
    return null;
  }

  protected async handle(endpoint: string, req: IncomingMessage, u: URL, text: string, taskId: string | undefined, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    if (endpoint === 'jwks') return this.json(res, 200, { keys: [{ ...this.keys.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'EdDSA' }] });
    if (req.headers.authorization !== `Key ${this.o.apiKey}`) return this.json(res, 401, { detail: 'No user found for Key ID and Secret' });
    if (endpoint === 'submit') return this.submit(u, text, res);
    const t = this.tasks.get(taskId ?? '');
    if (!t) return this.json(res, 404, { detail: 'Request not found' });
    const phase = t.canceled ? 'done' : this.phaseOf(t);
    if (endpoint === 'cancel') {
      if (phase === 'done') return this.json(res, 400, { status: 'ALREADY_COMPLETED' });
      t.canceled = true;
      return this.json(res, 202, { status: 'CANCELLATION_REQUESTED' });
    }
    if (endpoint === 'status') {
      if (phase === 'queued') return this.json(res, 202, { status: 'IN_QUEUE', queue_position: 0, response_url: this.reqUrl(t.id) });
      if (phase === 'running') return this.json(res, 202, { status: 'IN_PROGRESS', logs: [], response_url: this.reqUrl(t.id) });
      const f = this.failureOf(t);
      return this.json(res, 200, { status: 'COMPLETED', logs: [], metrics: { inference_time: t.plan.durationMs / 1000 }, response_url: this.reqUrl(t.id), ...(f ? { error: f.error, ...(f.errorType ? { error_type: f.errorType } : {}) } : {}) });
    }
    if (phase !== 'done') return this.json(res, 400, { detail: 'Request is still in progress' });
    const f = this.failureOf(t);
    if (f) return this.json(res, f.status, f.body);
    return this.json(res, 200, this.output(fault?.kind === 'expired'));
  }

  private failureOf(t: FakeTask<FalFailure>): FalFailure | undefined {
    if (t.canceled) return { status: 499, body: { detail: 'Request was cancelled' }, error: 'Request was cancelled' };
    return t.plan.failure;
  }

  private output(expired: boolean): Record<string, unknown> {
    return { video: { url: this.videoLink(expired), content_type: 'video/mp4', file_name: 'output.mp4', file_size: 0 } };
  }

  private reqUrl(id: string, suffix = ''): string {
    return `${this.url}/${this.app}/requests/${id}${suffix}`;
  }

  private submit(u: URL, text: string, res: ServerResponse): void {
    const model = u.pathname.slice(1);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.json(res, 422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
    }
    const entry = { model, body: { ...body }, query: Object.fromEntries(u.searchParams), taskId: null as string | null };
    if (typeof body.image_url === 'string' && body.image_url.startsWith('data:')) entry.body.image_url = `${body.image_url.slice(0, 30)}…(${body.image_url.length})`;
    this.submits.push(entry);
    const bad = (field: string, msg: string, type: string) => this.json(res, 422, { detail: [{ loc: ['body', field], msg, type }] });
    if (typeof body.prompt !== 'string' || body.prompt === '') return bad('prompt', 'Field required', 'missing');
    if (model.endsWith('image-to-video') && !isImageRef(body.image_url)) return bad('image_url', 'Field required', 'missing');
    const standard = model.includes('/standard/');
    if (standard ? body.duration !== undefined && !['6', '10'].includes(body.duration as string) : body.duration !== undefined) {
      return bad('duration', standard ? "Input should be '6' or '10'" : 'Extra inputs are not permitted', standard ? 'literal_error' : 'extra_forbidden');
    }
    const t = this.addTask(model, body, u.searchParams.get('fal_webhook'));
    entry.taskId = t.id;
    this.json(res, 200, { status: 'IN_QUEUE', request_id: t.id, response_url: this.reqUrl(t.id), status_url: this.reqUrl(t.id, '/status'), cancel_url: this.reqUrl(t.id, '/cancel'), queue_position: 0 }, { 'x-fal-request-id': t.id });
  }

  protected async deliver(t: FakeTask<FalFailure>): Promise<void> {
    const f = this.failureOf(t);
    const body = JSON.stringify(f ? { request_id: t.id, gateway_request_id: t.id, status: 'ERROR', error: f.error, payload: f.body } : { request_id: t.id, gateway_request_id: t.id, status: 'OK', payload: this.output(false) });
    const ts = String(Math.floor(Date.now() / 1000));
    const bad = this.takeBadSignature();
    const message = `${t.id}\n${FAL_USER_ID}\n${ts}\n${createHash('sha256').update(body).digest('hex')}`;
    const sig = sign(null, Buffer.from(message), bad ? this.stranger.privateKey : this.keys.privateKey).toString('hex');
    await this.post(t.webhook!, body, { 'x-fal-webhook-request-id': t.id, 'x-fal-webhook-user-id': FAL_USER_ID, 'x-fal-webhook-timestamp': ts, 'x-fal-webhook-signature': sig }, t.id, bad ? 'bad' : 'good');
  }
}

/**
 * @example
 * const fal = await startFakeFal({ apiKey: 'fal-key' });
 * // … startReelay({ falKey: 'fal-key', falBaseUrl: fal.url, falJwksUrl: `${fal.url}/.well-known/jwks.json`, … })
 */
export async function startFakeFal(o: { apiKey: string; taskMs?: number }): Promise<FakeFal> {
  return new FakeFal({ ...o, video: await sampleVideo() }).start();
}
