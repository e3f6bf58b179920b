/**
 * A pass-through HTTP proxy in front of a test Reelay that records every request line and can
 * answer 404 for the job event stream, as a Reelay from before `/v2/jobs/{id}/events` (or a proxy
 * that strips it) would. Streams both ways, so SSE passes through unbuffered.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  url: string;
  /** `GET /v2/jobs/…/events`, in arrival order. */
  requests: string[];
  /** When true, `/v2/jobs/{id}/events` answers 404 like a server without the route. */
  blockEvents: boolean;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const state: RecordingProxy = { url: '', requests: [], blockEvents: false, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    state.requests.push(line);
    if (state.blockEvents && /^\/v2\/jobs\/[^/]+\/events/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Route not found', code: 'not_found' }));
      return;
    }
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
