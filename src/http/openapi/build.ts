import { z } from 'zod';
import type { RouteDoc } from './types.js';

/** `/v2/jobs/:id` → `/v2/jobs/{id}`, and the path parameters it declares. */
function openapiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const p = path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: p.replace(/\*$/, '{path}'), params: path.endsWith('*') ? [...params, 'path'] : params };
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
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

const SECURITY = {
  apiKey: [{ ApiKeyAuth: [] }, { BearerAuth: [] }],
  admin: [{ AdminToken: [] }],
  none: [],
} as const;

/**
 * Builds the OpenAPI 3.1 document from the route docs. Request schemas are the zod schemas the
 * routes validate with, converted here; nothing is kept by hand.
 *
 * @example
 * const doc = buildOpenApi(ALL_ROUTE_DOCS, { version: '0.1.0' });
 */
export function buildOpenApi(docs: readonly RouteDoc[], info: { version: string; serverUrl?: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
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
        Object.entries(d.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.example !== undefined ? { content: { 'application/json': { example: r.example } } } : {}),
          },
        ]),
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
    },
    paths,
  };
}
