import type { z } from 'zod';

export type Security = 'apiKey' | 'admin' | 'none';

/** One status of a route. */
export interface RouteResponse {
  description: string;
  /**
   * The JSON body's zod schema (converted in output mode). Omitted on a 4xx/5xx: the route's
   * `errors` envelope. `null`: the answer has no body.
   */
  schema?: z.ZodType | null;
  /** A body that is not JSON (a file, HTML, Prometheus text): its media types, no schema. */
  mediaTypes?: readonly string[];
  example?: unknown;
}

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
  /**
   * The dialect's error envelope: the body of every 4xx/5xx below that names no schema, and of
   * the statuses any such route can answer (401 and 429 with a key, 400/413/415 with a body, 500).
   */
  errors?: z.ZodType;
  responses: Record<number, RouteResponse>;
}
