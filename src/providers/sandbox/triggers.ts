import type { JobErrorCode } from '../types.js';

/**
 * Test triggers, like a payment provider's test cards: markers in the prompt that make a sandbox
 * job fail with a chosen error or take longer, so integrators can exercise their failure paths.
 *
 *   [[sandbox:fail=content_policy]]   fail with that code (any JobErrorCode)
 *   [[sandbox:delay=5]]               wait 5 seconds (at most 600) before rendering
 *
 * Markers are removed from the prompt before rendering. They only exist in the sandbox engine.
 */
export interface SandboxTriggers {
  fail: JobErrorCode | null;
  delaySeconds: number;
  prompt: string;
}

const FAIL_CODES: readonly JobErrorCode[] = [
  'content_policy',
  'invalid_params',
  'upstream_error',
  'upstream_auth',
  'provider_balance',
  'provider_unavailable',
  'timeout',
  'render_failed',
  'internal',
];

const MARKER = /\[\[\s*sandbox:(fail|delay)\s*=\s*([a-z_0-9.]+)\s*\]\]/gi;

export function parseTriggers(prompt: string): SandboxTriggers {
  let fail: JobErrorCode | null = null;
  let delaySeconds = 0;
  const cleaned = prompt.replace(MARKER, (_m, kind: string, value: string) => {
    if (kind.toLowerCase() === 'fail' && (FAIL_CODES as readonly string[]).includes(value.toLowerCase())) {
      fail = value.toLowerCase() as JobErrorCode;
    } else if (kind.toLowerCase() === 'delay') {
      const n = Number(value);
      if (Number.isFinite(n) && n > 0) delaySeconds = Math.min(600, n);
    }
    return ' ';
  });
  return { fail, delaySeconds, prompt: cleaned.replace(/\s+/g, ' ').trim() };
}

export const TRIGGER_MESSAGES: Record<JobErrorCode, string> = {
  content_policy: 'The prompt or image was flagged by the content policy (sandbox test trigger)',
  invalid_params: 'The provider rejected the parameters (sandbox test trigger)',
  upstream_error: 'The provider returned an error (sandbox test trigger)',
  upstream_auth: 'The provider rejected our credentials (sandbox test trigger)',
  provider_balance: 'The provider account is out of balance (sandbox test trigger)',
  provider_unavailable: 'The provider is unavailable (sandbox test trigger)',
  timeout: 'The job took too long (sandbox test trigger)',
  render_failed: 'Rendering failed (sandbox test trigger)',
  internal: 'Internal error (sandbox test trigger)',
};
