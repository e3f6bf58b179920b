/**
 * One log line per request. Fastify's default is two ("incoming request", "request completed"),
 * which at `info` buries the first-start banner (its key and curl) under the Studio's polling within
 * seconds. Reads that succeed (the Studio, SDKs and probes poll these every second or two) log at
 * `debug`; writes and every failure log at `info`, so `LOG_LEVEL=info` shows what changed and what
 * went wrong, and `LOG_LEVEL=debug` shows every request.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * The path without its query (signed file URLs carry their signature there) and with a `:token`
 * route parameter masked: MiniMax's callback path is a per-deployment secret.
 */
function loggedPath(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '';
  const token = (request.params as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && token ? path.replace(token, '…') : path;
}

export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: loggedPath(request),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if ((request.method === 'GET' || request.method === 'HEAD') && reply.statusCode < 400) reply.log.debug(line, 'request');
    else reply.log.info(line, 'request');
  }
}
