/**
 * Checks real answers against `/openapi.json`: each call names the documented path template it
 * exercises, and its status, media type and JSON body must be the ones documented there (JSON
 * Schema 2020-12, validated with Ajv, which the install already carries for Fastify). It records
 * what was exercised so a test can insist that every documented operation was.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { AnySchema, ValidateFunction } from 'ajv';

interface AjvLike {
  compile(schema: AnySchema): ValidateFunction;
}

/** Ajv's errors with the offending property named (its own text omits it). */
function describe(errors: ValidateFunction['errors']): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
}

const require = createRequire(import.meta.url);
// CommonJS modules; `require` sidesteps their default-export interop under NodeNext.
const Ajv2020 = require('ajv/dist/2020') as new (opts: Record<string, unknown>) => AjvLike;
const addFormats = require('ajv-formats') as (ajv: AjvLike) => void;

type Json = Record<string, unknown>;
interface MediaObject {
  schema?: Json;
}
interface ResponseObject {
  description: string;
  content?: Record<string, MediaObject>;
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, { tags: string[]; responses: Record<string, ResponseObject> }>>;
  components: { schemas?: Record<string, Json> };
}

export interface Answer {
  status: number;
  body: Json;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as is (for bodies that are not JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** The status the test provokes; checked after the document check. */
  expect: number;
}

export class OpenApiChecker {
  /** `METHOD template status` of every checked answer. */
  readonly covered = new Set<string>();
  private readonly ajv: AjvLike;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    readonly doc: OpenApiDoc,
    private readonly base: string,
  ) {
    this.ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(this.ajv);
  }

  /**
   * Calls `method url` and checks the answer against the operation `method template`.
   *
   * @example
   * await check.call('GET', '/v2/jobs/{id}', `/v2/jobs/${id}`, { key, expect: 200 });
   */
  async call(method: string, template: string, url: string, o: CallOptions): Promise<Answer> {
    const headers: Record<string, string> = { ...(o.key ? { 'x-api-key': o.key } : {}), ...o.headers };
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(o.body);
    }
    const res = await fetch(this.base + url, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const answer: Answer = { status: res.status, text, headers: res.headers, body: {} };
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (type === 'application/json' && text) answer.body = JSON.parse(text) as Json;
    this.verify(method, template, answer, type);
    assert.equal(res.status, o.expect, `${method} ${url}: expected ${o.expect}, got ${res.status} ${text.slice(0, 500)}`);
    return answer;
  }

  /** Checks an answer already received (e.g. by a polling helper). */
  verify(method: string, template: string, a: Pick<Answer, 'status' | 'body' | 'text'>, mediaType: string): void {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not in /openapi.json`);
    const documented = op.responses[String(a.status)];
    assert.ok(documented, `${method} ${template} answered ${a.status}, which is not documented (documented: ${Object.keys(op.responses).join(', ')}): ${a.text.slice(0, 300)}`);
    this.covered.add(`${method.toUpperCase()} ${template} ${a.status}`);
    if (!documented.content) {
      assert.equal(a.text, '', `${method} ${template} ${a.status} is documented without a body but sent one`);
      return;
    }
    const media = documented.content[mediaType];
    assert.ok(media, `${method} ${template} ${a.status} sent ${mediaType || 'no content type'}; documented: ${Object.keys(documented.content).join(', ')}`);
    if (mediaType !== 'application/json') return;
    assert.ok(media.schema, `${method} ${template} ${a.status} has no schema`);
    const validate = this.validator(`${method} ${template} ${a.status}`, media.schema);
    assert.ok(validate(a.body), `${method} ${template} ${a.status} does not match its schema: ${describe(validate.errors)}\n${JSON.stringify(a.body).slice(0, 1500)}`);
  }

  /** Documented operations (`METHOD template`) of the given tags that no call answered with a 2xx. */
  untested(tags: readonly string[]): string[] {
    const out: string[] = [];
    for (const [path, ops] of Object.entries(this.doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.tags.some((t) => tags.includes(t))) continue;
        const ok = Object.keys(op.responses).some((s) => s.startsWith('2') && this.covered.has(`${method.toUpperCase()} ${path} ${s}`));
        if (!ok) out.push(`${method.toUpperCase()} ${path}`);
      }
    }
    return out.sort();
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      v = this.ajv.compile(this.resolve(schema));
      this.compiled.set(key, v);
    }
    return v;
  }

  /** Named response schemas are `$ref`s into components; Ajv gets the schema itself. */
  private resolve(schema: Json): Json {
    const ref = typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1] : undefined;
    if (!ref) return schema;
    const target = this.doc.components.schemas?.[ref];
    assert.ok(target, `${String(schema.$ref)} does not resolve`);
    return target;
  }
}
