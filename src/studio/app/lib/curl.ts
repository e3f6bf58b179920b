/** Single-quotes a string for a POSIX shell. */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The job's request as a curl command a user can paste. The key is left as `$REELAY_API_KEY`:
 * the Studio never prints a secret into copyable text.
 *
 * @example
 * curlFor('https://reelay.example', { model: 'hailuo-2.3', prompt: 'x' })
 */
export function curlFor(origin: string, input: Record<string, unknown>): string {
  const body = JSON.stringify(input, null, 2);
  return [`curl -X POST ${origin}/v2/videos/generate \\`, `  -H "X-API-Key: $REELAY_API_KEY" \\`, `  -H "Content-Type: application/json" \\`, `  -d ${sq(body)}`].join('\n');
}
