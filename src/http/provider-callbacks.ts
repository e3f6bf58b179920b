import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { ProviderCallbacks } from '../jobs/index.js';

function sameToken(presented: string, token: string): boolean {
  // Hashing first equalises lengths, so the comparison is constant-time for any input.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(token).digest());
}

/**
 * `POST /callbacks/:provider/:token`: where upstreams report task changes (MiniMax's
 * `callback_url`). Registered only when callbacks are configured (PUBLIC_URL and a provider that
 * uses them). The token in the path is the only guard (MiniMax signs nothing), and what it
 * protects is small: a valid call can only bring a poll forward.
 *
 * @example
 * registerProviderCallbacks(app, callbacks);
 * // MiniMax → POST /callbacks/minimax/<token> {"challenge":"x"} ← {"challenge":"x"}
 */
export function registerProviderCallbacks(app: FastifyInstance, callbacks: ProviderCallbacks): void {
  void app.register(async (scope) => {
    // Accept any content type: MiniMax documents the JSON body, not the header it sends with it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, text, done) => {
      try {
        done(null, text === '' ? {} : (JSON.parse(String(text)) as unknown));
      } catch {
        done(null, {});
      }
    });
    scope.post<{ Params: { provider: string; token: string } }>(
      '/callbacks/:provider/:token',
      { config: { public: true, dialect: 'apiframe' } },
      async (req) => {
        if (!sameToken(req.params.token, callbacks.token)) throw new AppError('not_found', 'Not found');
        const reply = await callbacks.handle(req.params.provider, req.body);
        if (!reply) throw new AppError('not_found', 'Not found');
        return reply;
      },
    );
  });
}
