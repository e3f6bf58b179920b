import type { Db } from '../db/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import type { Logger } from '../log.js';
import { pollNow } from './repo.js';
import type { Wakeup } from './wakeup.js';

/** What the HTTP layer needs to serve provider callbacks. */
export interface ProviderCallbacks {
  /** The unguessable path segment given to upstreams as part of `callback_url`. */
  readonly token: string;
  /** Handles one callback body for `provider`; returns the JSON to answer with, or null for "not ours". */
  handle(provider: string, body: unknown): Promise<Record<string, unknown> | null>;
}

/**
 * Provider callbacks as HINTS: MiniMax callbacks are unsigned, so a body saying "Success" proves
 * nothing. A hint only makes the named task's job due now and wakes the workers; the worker's own
 * authenticated poll decides what happened. Challenges are answered from memory (MiniMax allows
 * 3 s, and create fails without the echo).
 *
 * @example
 * const callbacks = providerCallbacks({ db, providers, wakeup, log, token });
 * await callbacks.handle('minimax', { challenge: 'abc' }); // { challenge: 'abc' }
 */
export function providerCallbacks(d: { db: Db; providers: ProviderRegistry; wakeup: Wakeup; log: Logger; token: string }): ProviderCallbacks {
  return {
    token: d.token,
    async handle(name, body) {
      if (!d.providers.names().includes(name)) return null;
      const provider = d.providers.get(name);
      if (provider.kind !== 'remote' || !provider.parseCallback) return null;
      const msg = provider.parseCallback(body);
      if (msg.kind === 'challenge') return msg.reply;
      if (msg.kind === 'hint') {
        const jobId = await pollNow(d.db, name, msg.taskId);
        if (jobId) {
          d.log.debug({ provider: name, taskId: msg.taskId, jobId }, 'callback: polling now');
          d.wakeup.nudge(); // coalesced: a flood of callbacks sends one NOTIFY at a time, not one each
        }
      }
      // The same answer whether or not the task is ours: a caller learns nothing from it.
      return { status: 'success' };
    },
  };
}
