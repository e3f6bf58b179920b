import { createHash, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { base58, newId } from '../ids.js';

export type KeyMode = 'live' | 'test';

/**
 * Who is calling, resolved from an API key. Cached per process by `PrincipalCache`, which every
 * change to the key, its account or its plan invalidates on every process at once.
 */
export interface Principal {
  accountId: string;
  accountName: string;
  planId: string;
  rateLimitPerMinute: number;
  keyId: string;
  keyName: string;
  keyPrefix: string;
  mode: KeyMode;
}

/**
 * Whose object, in which mode: every job, key, ledger row, webhook secret and idempotency key an
 * API key can reach belongs to one account AND one mode. A key of the other mode gets a 404, as
 * for another account's object (test and live are two worlds, as at Stripe).
 */
export type Scope = Pick<Principal, 'accountId' | 'mode'>;

const KEY_RE = /^rl_(live|test)_[1-9A-HJ-NP-Za-km-z]{32}$/;

/** SHA-256 of a key, hex: what is stored, and what the principal cache is keyed by. */
export function hashKey(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex');
}

/** True when `presented` has the shape of a Reelay key (anything else is refused without a lookup). */
export function wellFormedKey(presented: string): boolean {
  return KEY_RE.test(presented);
}

/**
 * Mints an API key. Only its SHA-256 and a display prefix are stored; the plaintext is returned
 * once, here.
 *
 * @example
 * const { key } = await createApiKey(db, 'acct_…', 'test', 'laptop'); // 'rl_test_…'
 */
export async function createApiKey(
  q: Queryable,
  accountId: string,
  mode: KeyMode,
  name = '',
): Promise<{ id: string; key: string; prefix: string; name: string; mode: KeyMode }> {
  const key = `rl_${mode}_${base58(32)}`;
  const id = newId('key');
  const prefix = key.slice(0, 12);
  await q.query('INSERT INTO api_keys (id, account_id, mode, key_hash, prefix, name) VALUES ($1, $2, $3, $4, $5, $6)', [
    id,
    accountId,
    mode,
    hashKey(key),
    prefix,
    name,
  ]);
  return { id, key, prefix, name, mode };
}

/**
 * Resolves a presented key to its principal, or null when it is malformed, unknown, revoked, or
 * its account is disabled. Always reads the database; requests go through `PrincipalCache`.
 */
export async function verifyApiKey(q: Queryable, presented: string): Promise<Principal | null> {
  if (!wellFormedKey(presented)) return null;
  return lookupKeyByHash(q, hashKey(presented));
}

/** The principal of an active key by its hash (one query). The final comparison is constant-time. */
export async function lookupKeyByHash(q: Queryable, hash: string): Promise<Principal | null> {
  const { rows } = await q.query<{
    id: string;
    key_hash: string;
    account_id: string;
    account_name: string;
    plan_id: string;
    rate_limit_per_minute: number;
    name: string;
    prefix: string;
    mode: KeyMode;
  }>(
    `SELECT k.id, k.key_hash, k.account_id, a.name AS account_name, a.plan_id, p.rate_limit_per_minute, k.name, k.prefix, k.mode
       FROM api_keys k JOIN accounts a ON a.id = k.account_id JOIN plans p ON p.id = a.plan_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND a.disabled_at IS NULL`,
    [hash],
  );
  const row = rows[0];
  if (!row) return null;
  if (!timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
  return {
    accountId: row.account_id,
    accountName: row.account_name,
    planId: row.plan_id,
    rateLimitPerMinute: row.rate_limit_per_minute,
    keyId: row.id,
    keyName: row.name,
    keyPrefix: row.prefix,
    mode: row.mode,
  };
}

/** Revokes a key of an account (of one mode only, when `mode` is given); true when it was active. */
export async function revokeApiKey(q: Queryable, accountId: string, keyId: string, mode?: KeyMode): Promise<boolean> {
  const res = await q.query(
    'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL AND ($3::text IS NULL OR mode = $3)',
    [keyId, accountId, mode ?? null],
  );
  return res.rowCount === 1;
}
