import type { z } from 'zod';

export type Security = 'apiKey' | 'admin' | 'none';

/** One route's documentation, declared beside the route with the very schemas that validate it. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify-style path (`/v2/jobs/:id`). */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  security: Security;
  body?: z.ZodType;
  bodyExample?: unknown;
  query?: z.ZodType;
  headers?: Record<string, string>;
  responses: Record<number, { description: string; example?: unknown }>;
}
