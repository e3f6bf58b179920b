import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { JobService, JobViews, ProviderCallbacks } from '../jobs/index.js';
import type { PriceBook } from '../catalog/index.js';
import type { BlobStore } from '../storage/index.js';
import type { Principal, PrincipalCache, RateLimiter } from '../billing/index.js';
import type { WebhookService } from '../webhooks/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import { expiryFor, signedPath } from '../storage/index.js';

/** Everything route handlers need, passed in by the composition root (no module globals). */
export interface AppDeps {
  config: Config;
  db: Db;
  jobs: JobService;
  /** Verified keys, cached per process and invalidated on every process by NOTIFY. */
  principals: PrincipalCache;
  /** Job views per process, refreshed by the jobs' change notifications (long-poll, SSE, polls). */
  views: JobViews;
  /** The plan's per-minute limit per account and mode. */
  limiter: RateLimiter;
  blobs: BlobStore;
  prices: PriceBook;
  fileSigningSecret: string;
  /** Delivery log, redelivery, signing secret, webhook URL checks. */
  webhooks: WebhookService;
  /** Which providers serve live jobs, their routes and health (`/v2/models`, `/admin/providers`). */
  providers?: ProviderRegistry | undefined;
  /** Readiness: false while starting or shutting down. */
  isReady: () => boolean;
  /** Upstream task callbacks (MiniMax `callback_url`); absent when no PUBLIC_URL/provider uses them. */
  providerCallbacks?: ProviderCallbacks | undefined;
  /** Checks a callback's signature over its raw body (upstreams that sign); false answers 401. */
  verifyProviderCallback?: ((provider: string, raw: string, headers: Readonly<Record<string, string | string[] | undefined>>) => Promise<boolean>) | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Which dialect's envelope errors on this route use. */
    dialect?: string;
    /** Routes that need no API key. */
    public?: boolean;
  }
}

/** The base URL clients reached us at: PUBLIC_URL when set, else this request's own scheme and host. */
export function baseUrl(config: Config, req: FastifyRequest): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  if (req.host) return `${req.protocol}://${req.host}`;
  // HTTP/1.0 may omit Host: the address the request came in on (URLs read `http:///files/…`).
  const addr = (req.socket.localAddress ?? 'localhost').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return `${req.protocol}://${addr.includes(':') ? `[${addr}]` : addr}:${req.socket.localPort ?? 80}`;
}

/** A signed, expiring download URL for a stored blob. */
export function fileUrl(deps: AppDeps, req: FastifyRequest, key: string): { url: string; expiresAt: Date } {
  const exp = expiryFor(Date.now(), deps.config.fileUrlTtlSeconds);
  return { url: baseUrl(deps.config, req) + signedPath(deps.fileSigningSecret, key, exp), expiresAt: new Date(exp * 1000) };
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route requires authentication but none was resolved');
  return req.principal;
}
