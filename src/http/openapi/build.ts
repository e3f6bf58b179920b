import { z } from 'zod';
import type { RouteDoc, RouteResponse } from './types.js';
import { nameOf } from './schemas.js';

/** `/v2/jobs/:id` → `/v2/jobs/{id}`, and the path parameters it declares. */
function openapiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const p = path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: p.replace(/\*$/, '{path}'), params: path.endsWith('*') ? [...params, 'path'] : params };
}

/** Requests are documented as the route accepts them (`input`), answers as it sends them (`output`). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    // `format: date-time` says it all; zod's 300-character pattern beside it, once per timestamp, tripled the document.
    override: (ctx) => {
      if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
    },
  }) as Record<string, unknown>;
}

function queryParams(schema: z.ZodType): Record<string, unknown>[] {
  const js = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

/**
 * Statuses a route can answer without its handler saying so: the auth and rate-limit hooks, body
 * parsing, and the error handler's generic 500. Listed so that a client (and the response test)
 * finds every status it can meet in the document.
 */
function implicitResponses(d: RouteDoc): Record<number, RouteResponse> {
  if (!d.errors) return {};
  const out: Record<number, RouteResponse> = {};
  if (d.body || d.query) out[400] = { description: 'Invalid request (`details` names each field)' };
  if (d.body) {
    out[413] = { description: 'The body is over the size limit' };
    out[415] = { description: 'The body is not JSON' };
  }
  if (d.security === 'apiKey') {
    out[401] = { description: 'Missing, invalid or revoked API key' };
    out[429] = { description: 'Rate limit of the account\'s plan exceeded, counted per account and mode (see `Retry-After`)' };
  }
  if (d.security === 'admin') {
    out[401] = { description: 'Missing or wrong admin token' };
    out[404] = { description: 'The admin API is disabled (no REELAY_ADMIN_TOKEN), or no such resource' };
  }
  out[500] = { description: 'Internal error; the message names the request id to quote' };
  return out;
}

/**
 * A response schema: named ones (see `named`) once under `components.schemas`, referred to by
 * `$ref`; the rest inline.
 */
function responseSchema(schema: z.ZodType, components: Map<string, Record<string, unknown>>): Record<string, unknown> {
  const name = nameOf(schema);
  if (!name) return jsonSchema(schema, 'output');
  if (!components.has(name)) {
    const { $schema: _dialect, ...rest } = jsonSchema(schema, 'output');
    components.set(name, rest);
  }
  return { $ref: `#/components/schemas/${name}` };
}

function responseObject(d: RouteDoc, status: number, r: RouteResponse, components: Map<string, Record<string, unknown>>): Record<string, unknown> {
  const example = r.example !== undefined ? { example: r.example } : {};
  if (r.mediaTypes) {
    const schema = { type: 'string', ...(r.mediaTypes.every((t) => t.startsWith('text/')) ? {} : { format: 'binary' }) };
    return { description: r.description, content: Object.fromEntries(r.mediaTypes.map((t) => [t, { schema, ...example }])) };
  }
  const schema = r.schema === undefined && status >= 400 ? d.errors : r.schema;
  if (!schema) return { description: r.description };
  return { description: r.description, content: { 'application/json': { schema: responseSchema(schema, components), ...example } } };
}

const SECURITY = {
  apiKey: [{ ApiKeyAuth: [] }, { BearerAuth: [] }],
  admin: [{ AdminToken: [] }],
  none: [],
} as const;

/**
 * Builds the OpenAPI 3.1 document from the route docs. Request schemas are the zod schemas the
 * routes validate with, response schemas the zod schemas beside each route's doc, both converted
 * here; nothing is kept by hand. Responses are sorted by status.
 *
 * @example
 * const doc = buildOpenApi(ALL_ROUTE_DOCS, { version: '0.1.0' });
 */
export function buildOpenApi(docs: readonly RouteDoc[], info: { version: string; serverUrl?: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components = new Map<string, Record<string, unknown>>();
  for (const d of docs) {
    const { path, params } = openapiPath(d.path);
    const op: Record<string, unknown> = {
      tags: [d.tag],
      summary: d.summary,
      ...(d.description ? { description: d.description } : {}),
      operationId: `${d.method.toLowerCase()}_${d.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      security: SECURITY[d.security],
      parameters: [
        ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        ...(d.query ? queryParams(d.query) : []),
        ...Object.entries(d.headers ?? {}).map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } })),
      ],
      responses: Object.fromEntries(
        Object.entries({ ...implicitResponses(d), ...d.responses }).map(([status, r]) => [status, responseObject(d, Number(status), r, components)]),
      ),
    };
    if (d.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(d.body), ...(d.bodyExample !== undefined ? { example: d.bodyExample } : {}) } },
      };
    }
    (paths[path] ??= {})[d.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Reelay API',
      version: info.version,
      description:
        'Self-hostable AI video generation. Three wire-compatible dialects on one job system: Apiframe v2 (`/v2`), WaveSpeed v3 (`/api/v3`) and API in One (`/api/v1`). Test keys (`rl_test_…`) render with the local sandbox engine; live keys (`rl_live_…`) go to MiniMax.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    tags: [
      { name: 'Apiframe v2', description: 'The primary API, wire-compatible with Apiframe v2.' },
      { name: 'WaveSpeed v3', description: 'Drop-in for WaveSpeed clients: change only the base URL.' },
      { name: 'API in One', description: 'Drop-in for "API in One" clients.' },
      { name: 'Account', description: 'Keys, credits and webhooks of the calling account.' },
      { name: 'Admin', description: 'Operator API, guarded by REELAY_ADMIN_TOKEN.' },
      { name: 'Service', description: 'Probes, files and this document.' },
    ],
    components: {
      securitySchemes: {
        ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        BearerAuth: { type: 'http', scheme: 'bearer', description: 'The same API key as a Bearer token.' },
        AdminToken: { type: 'http', scheme: 'bearer', description: 'REELAY_ADMIN_TOKEN' },
      },
      schemas: Object.fromEntries([...components].sort(([a], [b]) => a.localeCompare(b))),
    },
    paths,
  };
}
