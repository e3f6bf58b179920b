/**
 * Why a call to an upstream's API threw before any answer, shared by every adapter: whether the
 * request can have reached the upstream decides whether a create is ambiguous (a task may exist
 * that we will never hear of) or plainly unsent (safe to send again, or elsewhere).
 */

/** Node's error codes for a request that never left this machine: no task can exist upstream. */
const UNSENT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

/**
 * What went wrong with a `fetch` that threw, in an operator's words, and whether the request
 * certainly never reached the server (DNS, refused connection, TLS: the body was not sent).
 */
export function networkFailure(err: unknown): { why: string; unsent: boolean } {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  const unsent = UNSENT_CODES.has(code);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { why: 'DNS lookup failed', unsent };
  if (code === 'ECONNREFUSED') return { why: 'connection refused', unsent };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { why: 'no connection within the connect timeout', unsent };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { why: 'network unreachable', unsent };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { why: 'connection reset', unsent };
  if (unsent) return { why: `TLS certificate rejected (${code})`, unsent };
  return { why: code || (typeof cause?.message === 'string' ? cause.message : (err as Error).message).slice(0, 120), unsent };
}
