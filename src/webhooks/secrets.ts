/**
 * Each account's Standard Webhooks signing secrets, one per mode: test deliveries and live ones are
 * signed with different secrets, and a key reads and rotates only its own mode's (a leaked test key
 * cannot forge live events). Created on first use; rotation keeps the previous secret signing for a
 * window so receivers can switch without rejecting deliveries. Only one previous secret is kept:
 * rotating again inside the window retires the older one.
 */
import type { Queryable } from '../db/index.js';
import type { KeyMode } from '../billing/index.js';
import { newWebhookSecret } from './signing.js';

export interface WebhookSecretView {
  secret: string;
  createdAt: Date;
  rotatedAt: Date | null;
  /** When the previous secret stops signing; null when there is none (or it already stopped). */
  previousExpiresAt: Date | null;
}

interface SecretRow {
  secret: string;
  previous_secret: string | null;
  previous_expires_at: Date | null;
  created_at: Date;
  rotated_at: Date | null;
  previous_live: boolean;
}

const SELECT = `SELECT secret, previous_secret, previous_expires_at, created_at, rotated_at,
                       (previous_secret IS NOT NULL AND previous_expires_at > now()) AS previous_live
                  FROM webhook_secrets WHERE account_id = $1 AND mode = $2`;

function view(r: SecretRow): WebhookSecretView {
  return { secret: r.secret, createdAt: r.created_at, rotatedAt: r.rotated_at, previousExpiresAt: r.previous_live ? r.previous_expires_at : null };
}

/** The row, created if missing (ON CONFLICT: two processes racing to create it agree on one). */
async function ensure(q: Queryable, accountId: string, mode: KeyMode): Promise<SecretRow> {
  await q.query('INSERT INTO webhook_secrets (account_id, mode, secret) VALUES ($1, $2, $3) ON CONFLICT (account_id, mode) DO NOTHING', [
    accountId,
    mode,
    newWebhookSecret(),
  ]);
  const { rows } = await q.query<SecretRow>(SELECT, [accountId, mode]);
  return rows[0]!;
}

/**
 * The account's current secret (created on first read).
 *
 * @example
 * const { secret } = await readWebhookSecret(db, 'acct_…', 'live'); // 'whsec_…'
 */
export async function readWebhookSecret(q: Queryable, accountId: string, mode: KeyMode): Promise<WebhookSecretView> {
  return view(await ensure(q, accountId, mode));
}

/**
 * The secrets that sign a delivery now: the current one, then the previous one while its
 * rotation window lasts.
 *
 * @example
 * const secrets = await signingSecrets(db, 'acct_…', 'live'); // ['whsec_new…', 'whsec_old…']
 */
export async function signingSecrets(q: Queryable, accountId: string, mode: KeyMode): Promise<string[]> {
  const r = await ensure(q, accountId, mode);
  return r.previous_live && r.previous_secret ? [r.secret, r.previous_secret] : [r.secret];
}

/**
 * Replaces the secret; the old one keeps signing for `windowSeconds` (0 = stops at once). One
 * UPDATE reading `secret` as it stands, so concurrent rotations serialise on the row and each keeps
 * the secret the other had just installed.
 *
 * @example
 * const v = await rotateWebhookSecret(db, 'acct_…', 'live', 86_400); // v.previousExpiresAt ≈ now + 24 h
 */
export async function rotateWebhookSecret(q: Queryable, accountId: string, mode: KeyMode, windowSeconds: number): Promise<WebhookSecretView> {
  await ensure(q, accountId, mode);
  await q.query(
    `UPDATE webhook_secrets
        SET previous_secret = secret, previous_expires_at = now() + make_interval(secs => $3),
            secret = $2, rotated_at = now()
      WHERE account_id = $1 AND mode = $4`,
    [accountId, newWebhookSecret(), windowSeconds, mode],
  );
  const { rows } = await q.query<SecretRow>(SELECT, [accountId, mode]);
  return view(rows[0]!);
}
