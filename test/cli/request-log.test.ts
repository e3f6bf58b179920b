/**
 * Server logs as an operator reads them after `npm start`: one line per request, and the
 * first-start banner (its key and curl) not buried by the Studio's polling.
 * Regression: Fastify's default logged two lines per request at `info` ("incoming request",
 * "request completed"), so a Studio polling every second scrolled the banner away within seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServe } from '../support/process.js';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  url?: string;
  status?: number;
  ms?: number;
}

test('one log line per request (method, url, status, ms, request id); successful reads at debug, writes and errors at info; secrets in paths masked', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-cli-log-'));
  // MiniMax on (at an address that answers nothing) with PUBLIC_URL, so the secret callback route exists.
  const serve = await spawnServe({ REELAY_DATA_DIR: dataDir, LOG_LEVEL: 'debug', MINIMAX_API_KEY: 'mm-key', MINIMAX_BASE_URL: 'http://127.0.0.1:9', PUBLIC_URL: 'http://127.0.0.1:9' });
  try {
    const key = /rl_test_\w+/.exec(serve.output())?.[0];
    assert.ok(key, serve.output());
    const headers = { 'x-api-key': key, 'content-type': 'application/json' };
    const sent: { id: string; method: string; path: string; status: number }[] = [];
    const send = async (method: string, path: string, body?: unknown): Promise<void> => {
      const res = await fetch(serve.url + path, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
      await res.arrayBuffer();
      sent.push({ id: res.headers.get('x-request-id')!, method, path, status: res.status });
    };
    for (let i = 0; i < 3; i++) await send('GET', '/v2/jobs?limit=20'); // what the Studio polls
    await send('GET', '/v2/me');
    await send('POST', '/v2/videos/generate', { prompt: 'x', model: 'hailuo-2.3', hailuoParams: { duration: 7 } });
    await send('POST', '/v2/videos/generate', { prompt: 'a castle', model: 'hailuo-2.3' });
    await send('GET', '/v2/jobs/00000000-0000-4000-8000-000000000000');
    await send('POST', '/callbacks/minimax/not-the-secret-token-but-logged-like-one', {});
    await new Promise((resolve) => setTimeout(resolve, 500)); // pino writes asynchronously

    const lines = serve
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
    for (const s of sent) {
      const mine = lines.filter((l) => l.reqId === s.id);
      assert.equal(mine.length, 1, `${s.method} ${s.path}: ${JSON.stringify(mine)}`);
      const l = mine[0]!;
      const path = s.path.split('?')[0]!.replace(/^\/callbacks\/minimax\/.*/, '/callbacks/minimax/…');
      assert.deepEqual([l.msg, l.method, l.url, l.status], ['request', s.method, path, s.status]);
      assert.equal(typeof l.ms, 'number');
      const quiet = s.method === 'GET' && s.status < 400;
      assert.equal(l.level, quiet ? 20 : 30, `${s.method} ${s.path} ${s.status} logs at ${quiet ? 'debug' : 'info'}`);
    }
    assert.ok(!lines.some((l) => /incoming request|request completed/.test(l.msg)), 'no Fastify two-line request logging');
    assert.doesNotMatch(serve.output(), /not-the-secret-token/, 'the callback path token is masked');
    assert.deepEqual(
      sent.map((s) => s.status),
      [200, 200, 200, 200, 400, 202, 404, 404],
    );
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
});
