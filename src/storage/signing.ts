import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * File URLs are capabilities: `/files/<key>?exp=<unix seconds>&sig=<hmac>`. Anyone holding the URL
 * can download until `exp`; nobody can forge one for another key or a later expiry.
 */
function mac(secret: string, key: string, exp: number): string {
  return createHmac('sha256', secret).update(`${key}\n${exp}`).digest('base64url');
}

/**
 * @example
 * signedPath('s3cret', 'jobs/1/video.mp4', 1767225600) // '/files/jobs/1/video.mp4?exp=1767225600&sig=…'
 */
export function signedPath(secret: string, key: string, exp: number): string {
  return `/files/${key}?exp=${exp}&sig=${mac(secret, key, exp)}`;
}

/**
 * Expiry for a URL minted now: `ttl` from now, rounded up to the next 5 minutes so that repeated
 * polls of a job return the same URL (browsers and CDNs can cache it).
 */
export function expiryFor(nowMs: number, ttlSeconds: number): number {
  const step = 300;
  return Math.ceil((nowMs / 1000 + ttlSeconds) / step) * step;
}

export type SignatureCheck = 'ok' | 'expired' | 'invalid';

export function checkSignature(secret: string, key: string, exp: string | undefined, sig: string | undefined, nowMs: number): SignatureCheck {
  const expN = Number(exp);
  if (!exp || !sig || !Number.isInteger(expN)) return 'invalid';
  const want = Buffer.from(mac(secret, key, expN));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid';
  return expN * 1000 < nowMs ? 'expired' : 'ok';
}
