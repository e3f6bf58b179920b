/**
 * Every identifier Reelay mints comes from here, so prefixes stay unique and recognisable.
 * Jobs use UUIDs because Apiframe's API declares job ids as `format: uuid`.
 */
import { randomBytes, randomUUID } from 'node:crypto';

const PREFIXES = {
  account: 'acct',
  key: 'key',
  request: 'req',
  worker: 'wrk',
  delivery: 'whd',
  attempt: 'att',
} as const;

export type IdKind = keyof typeof PREFIXES;

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/**
 * Random base58 string of `length` characters (rejection sampling, so every character is uniform).
 *
 * @example
 * base58(24) // 'h3Kx…'
 */
export function base58(length: number, random: (n: number) => Uint8Array = randomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const b of random(length * 2)) {
      if (b < 232 && out.length < length) out += BASE58[b % 58];
    }
  }
  return out;
}

/**
 * @example
 * newId('account') // 'acct_5hT2…'
 */
export function newId(kind: IdKind): string {
  return `${PREFIXES[kind]}_${base58(16, pooledBytes)}`;
}

let pool = Buffer.alloc(0);
let poolAt = 0;

/**
 * Random bytes for identifiers, taken once each from a 4 KiB buffer of `randomBytes`: one
 * `getrandom` call per ~128 ids instead of one per id (a request id each, it was 7 % of a busy
 * API process's CPU under polls). Identifiers are not secrets: API keys draw fresh bytes.
 */
function pooledBytes(n: number): Uint8Array {
  if (poolAt + n > pool.length) {
    pool = randomBytes(Math.max(4096, n));
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + n);
  poolAt += n;
  return out;
}

/** A new job id (UUID v4). */
export function newJobId(): string {
  return randomUUID();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
