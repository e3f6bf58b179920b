/**
 * Standard Webhooks v1 signing (symmetric): `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")),
 * where the key is the base64-decoded part of a `whsec_` secret. Several entries, space-separated,
 * let receivers switch secrets without downtime. Matches the `standardwebhooks` reference library
 * and the spec's test vector (see test/webhooks/signing.test.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
/** The spec allows 24 to 64 bytes of key; 32 matches HMAC-SHA256's block-size sweet spot. */
const SECRET_BYTES = 32;

/**
 * A fresh signing secret, as shown to users.
 *
 * @example
 * newWebhookSecret(); // 'whsec_q0i2…=' (32 random bytes, base64)
 */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/**
 * The HMAC key inside a `whsec_` secret. Throws when the secret is not 24–64 bytes of base64: a
 * short key would make every signature weak, so it is refused rather than used.
 *
 * @example
 * webhookSecretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').length; // 24
 */
export function webhookSecretKey(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('webhook secret is not base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length < 24 || key.length > 64) throw new Error(`webhook secret must hold 24 to 64 bytes, not ${key.length}`);
  return key;
}

/**
 * The `webhook-signature` header value: one `v1,` entry per secret, in the order given (current
 * first, then the previous one during a rotation window).
 *
 * @example
 * signStandardWebhook(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
 * // 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
 */
export function signStandardWebhook(secrets: readonly string[], id: string, timestampSeconds: number, body: string | Buffer): string {
  // A '.' in the id would let bytes shift between the id and the timestamp in the signed content.
  if (id.includes('.')) throw new Error('webhook id must not contain "."');
  if (!Number.isInteger(timestampSeconds)) throw new Error('webhook timestamp must be whole seconds');
  if (secrets.length === 0) throw new Error('at least one secret is needed to sign');
  return secrets
    .map((s) => {
      const mac = createHmac('sha256', webhookSecretKey(s));
      mac.update(`${id}.${timestampSeconds}.`);
      mac.update(body);
      return `v1,${mac.digest('base64')}`;
    })
    .join(' ');
}

/**
 * WaveSpeed's webhook signature: HMAC-SHA256 over `id.timestamp.body`, keyed by the secret's text
 * after `whsec_` used as raw UTF-8 bytes (not base64-decoded), hex-encoded, tagged `v3`.
 *
 * @example
 * signWavespeedWebhook('whsec_abc', 'whd_1', 1758798328, '{"id":"…"}'); // 'v3,4f2c…'
 */
export function signWavespeedWebhook(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'utf8');
  return `v3,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('hex')}`;
}
