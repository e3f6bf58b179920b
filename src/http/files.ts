import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { checkSignature } from '../storage/index.js';
import type { AppDeps } from './context.js';

const TYPES: Record<string, string> = { mp4: 'video/mp4', jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Parses a single `bytes=` range; null means "serve it all", 'unsatisfiable' means 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null; // multi-range or garbage: a full 200 is a valid answer
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

const JOB_FILE = /^jobs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\//i;

/**
 * A link is a capability on a job's file and outlives the key that fetched it (every key of the
 * account gets the same URL for the same job, so revoking one key cannot take it back). A disabled
 * account is different: the operator took it down, and its files stop being served with it, as if
 * they were gone. One primary-key lookup per request.
 */
async function servable(deps: AppDeps, key: string): Promise<boolean> {
  const id = JOB_FILE.exec(key)?.[1];
  if (!id) return true;
  const { rows } = await deps.db.query<{ disabled: boolean }>(
    'SELECT a.disabled_at IS NOT NULL AS disabled FROM jobs j JOIN accounts a ON a.id = j.account_id WHERE j.id = $1',
    [id.toLowerCase()],
  );
  return rows[0]?.disabled !== true;
}

/** Serves stored results through signed, expiring URLs, with HTTP Range support for players. */
export function registerFileRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.route<{ Params: { '*': string }; Querystring: { exp?: string; sig?: string } }>({
    method: ['GET', 'HEAD'],
    url: '/files/*',
    config: { public: true, dialect: 'apiframe' },
    handler: async (req, reply) => {
      const key = req.params['*'];
      const check = checkSignature(deps.fileSigningSecret, key, req.query.exp, req.query.sig, Date.now());
      if (check === 'invalid') throw new AppError('forbidden', 'This file link is not valid');
      if (check === 'expired') throw new AppError('forbidden', 'This file link has expired; fetch the job again for a fresh one');
      const stat = (await servable(deps, key)) ? await deps.blobs.stat(key) : null;
      if (!stat) throw new AppError('not_found', 'This file is no longer available (it may have passed the retention period)');
      const range = parseRange(req.headers.range, stat.size);
      if (range === 'unsatisfiable') {
        // In the envelope like every other error (it was an empty body typed video/mp4).
        reply.header('accept-ranges', 'bytes').header('content-range', `bytes */${stat.size}`);
        throw new AppError('range_not_satisfiable', `The file is ${stat.size} bytes; the Range asks for none of them`);
      }
      const ext = key.split('.').pop() ?? '';
      reply.header('content-type', TYPES[ext] ?? 'application/octet-stream');
      reply.header('accept-ranges', 'bytes');
      reply.header('cache-control', `private, max-age=${Math.max(0, Number(req.query.exp) - Math.floor(Date.now() / 1000))}`);
      if (range) {
        reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`);
        reply.header('content-length', range.end - range.start + 1);
        return req.method === 'HEAD' ? reply.send() : reply.send(await deps.blobs.read(key, range));
      }
      reply.header('content-length', stat.size);
      return req.method === 'HEAD' ? reply.send() : reply.send(await deps.blobs.read(key));
    },
  });
}
