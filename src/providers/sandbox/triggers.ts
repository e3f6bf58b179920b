import { JOB_ERROR_CODES, type JobErrorCode } from '../types.js';

/**
 * Test triggers, like a payment provider's test cards: markers in the prompt that make a sandbox
 * job fail with a chosen error or take longer, so integrators can exercise their failure paths.
 *
 *   [[sandbox:fail=content_policy]]   fail with that code (any JobErrorCode)
 *   [[sandbox:delay=5]]               wait 5 seconds before rendering (clamped to the configured
 *                                     maximum, `sandboxMaxDelaySeconds`, 60 by default)
 *
 * Markers are removed from the prompt before rendering. They only exist in the sandbox engine.
 * They are read when the job renders, not at submit (the submit path knows nothing of engines), so
 * a delay over the maximum is clamped rather than refused.
 */
export interface SandboxTriggers {
  fail: JobErrorCode | null;
  delaySeconds: number;
  prompt: string;
}

/** Any job failure code can be triggered: one list, the one every dialect maps. */
const FAIL_CODES: readonly JobErrorCode[] = JOB_ERROR_CODES;

const MARKER = /\[\[\s*sandbox:(fail|delay)\s*=\s*([a-z_0-9.]+)\s*\]\]/gi;

/** What `[[sandbox:delay=N]]` is clamped to when the operator sets nothing (config's default). */
export const DEFAULT_MAX_DELAY_SECONDS = 60;

/**
 * Reads and removes the test-trigger markers of a prompt. A delay above `maxDelaySeconds` is
 * clamped to it; non-positive or unreadable values are ignored, as are unknown failure codes.
 *
 * @example
 * parseTriggers('a fox [[sandbox:delay=600]]', 60); // { fail: null, delaySeconds: 60, prompt: 'a fox' }
 */
export function parseTriggers(prompt: string, maxDelaySeconds = DEFAULT_MAX_DELAY_SECONDS): SandboxTriggers {
  let fail: JobErrorCode | null = null;
  let delaySeconds = 0;
  const cleaned = prompt.replace(MARKER, (_m, kind: string, value: string) => {
    if (kind.toLowerCase() === 'fail' && (FAIL_CODES as readonly string[]).includes(value.toLowerCase())) {
      fail = value.toLowerCase() as JobErrorCode;
    } else if (kind.toLowerCase() === 'delay') {
      const n = Number(value);
      if (Number.isFinite(n) && n > 0) delaySeconds = Math.min(Math.max(0, maxDelaySeconds), n);
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
