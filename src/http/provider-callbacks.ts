import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { ProviderCallbacks } from '../jobs/index.js';

function sameToken(presented: string, token: string): boolean {
  // Hashing first equalises lengths, so the comparison is constant-time for any input.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(token).digest());
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    return {};
  }
}

/**
 * `POST /callbacks/:provider/:token`: where upstreams report task changes (MiniMax's
 * `callback_url`, WaveSpeed's, fal's and Replicate's webhooks). Registered only when callbacks are
 * configured (PUBLIC_URL and a provider that uses them). For MiniMax, which signs nothing, the
 * token in the path is the only guard; the others' signatures are checked over the exact bytes
 * received (`verify`) and a bad one is refused with 401. Either way a valid call can only bring a
 * poll forward.
 *
 * @example
 * registerProviderCallbacks(app, callbacks);
 * // MiniMax → POST /callbacks/minimax/<token> {"challenge":"x"} ← {"challenge":"x"}
 */
export function registerProviderCallbacks(
  app: FastifyInstance,
  callbacks: ProviderCallbacks,
  verify?: (provider: string, raw: string, headers: Readonly<Record<string, string | string[] | undefined>>) => Promise<boolean>,
): void {
  void app.register(async (scope) => {
    // Accept any content type: MiniMax documents the JSON body, not the header it sends with it.
    scope.removeAllContentTypeParsers();
    // The raw text is kept: signatures are over the exact bytes, never a re-serialisation. Up to
    // 32 MiB: WaveSpeed and Replicate echo the input, which may hold an inline image.
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 32 * 1024 * 1024 }, (_req, text, done) => done(null, String(text)));
    scope.post<{ Params: { provider: string; token: string } }>(
      '/callbacks/:provider/:token',
      {
        config: { public: true, dialect: 'apiframe' },
        // The token before the body: a stranger once made us read up to 32 MiB before its 404.
        onRequest: async (req) => {
          if (!sameToken(req.params.token, callbacks.token)) throw new AppError('not_found', 'Not found');
        },
      },
      async (req) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        if (verify && !(await verify(req.params.provider, raw, req.headers))) throw new AppError('unauthorized', 'The callback signature is missing, stale or wrong');
        const reply = await callbacks.handle(req.params.provider, parseJson(raw));
        if (!reply) throw new AppError('not_found', 'Not found');
        return reply;
      },
    );
  });
}
