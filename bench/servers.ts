/**
 * The bench's baseline servers, each run as a child process (bench/common.ts `spawnBaseline`) so
 * that they, like `reelay serve`, have a process and an event loop of their own:
 *
 *   hello          bare Fastify: GET /hello, and POST /v2/videos/generate that parses the JSON
 *                  body and answers 202, with no database and no auth
 *   stream <file>  bare Node: `fs.createReadStream → http`, single `bytes=` ranges, no Fastify
 *
 * Each prints `LISTENING <port>` once it accepts connections.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';

async function hello(): Promise<Server> {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  app.post('/v2/videos/generate', async (req, reply) => {
    const body = req.body as { prompt?: unknown };
    return reply.code(202).send({ jobId: randomUUID(), status: 'QUEUED', echo: typeof body.prompt });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}

async function stream(file: string): Promise<Server> {
  const size = (await stat(file)).size;
  const server = createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    res.writeHead(m ? 206 : 200, {
      'content-type': 'video/mp4',
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    const body = createReadStream(file, { start, end });
    body.on('error', () => res.destroy());
    body.pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

const [mode, arg] = process.argv.slice(2);
const server = mode === 'hello' ? await hello() : mode === 'stream' && arg ? await stream(arg) : null;
if (!server) {
  process.stderr.write('usage: servers.ts hello | stream <file>\n');
  process.exit(2);
}
process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
