import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import tls from 'node:tls';
import net, { type AddressInfo } from 'node:net';
import { AppError } from '../../src/errors.js';
import { FetchFailure, safeRequest, type HostResolver, type SafeRequestOptions, type UrlPolicy } from '../../src/net/index.js';

interface TestServer {
  port: number;
  origin: string;
  /** TCP connections accepted: zero proves not a single byte was sent. */
  connections: number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
}

/** A real HTTP server on a loopback address, closed when the test ends. */
async function serve(t: TestContext, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void, host = '127.0.0.1'): Promise<TestServer> {
  const state: TestServer = { port: 0, origin: '', connections: 0, requests: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  server.on('connection', () => (state.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  state.origin = `http://${host.includes(':') ? `[${host === '::' ? '::1' : host}]` : host}:${state.port}`;
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return state;
}

const OPEN: UrlPolicy = { allowPrivateNetworks: true, allowHttp: true };
const PUBLIC_ONLY_HTTP: UrlPolicy = { allowPrivateNetworks: false, allowHttp: true };
/** Loopback .1 stands in for "the internet", .2 for "our network" (Linux routes all of 127/8 to lo). */
const ONLY_127_0_0_1: UrlPolicy = { allowPrivateNetworks: false, allowHttp: true, isAllowedAddress: (ip) => ip === '127.0.0.1' };

function req(url: string, extra: Partial<SafeRequestOptions> = {}): Promise<Awaited<ReturnType<typeof safeRequest>>> {
  return safeRequest({ url, timeoutMs: 3000, maxResponseBytes: 1_000_000, maxRedirects: 5, policy: OPEN, ...extra });
}

function notAllowed(pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, 'url_not_allowed');
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

function failure(kind: FetchFailure['kind']): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof FetchFailure, `expected FetchFailure, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return true;
  };
}

/** A resolver from a fixed table that counts how often it is asked. */
function fakeDns(table: Record<string, string[]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string): Promise<{ address: string; family: 4 | 6 }[]> => {
    calls.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

void test('loopback in every spelling is refused before a single byte is sent', async (t) => {
  const srv = await serve(t, (_q, r) => r.end('secret'), '::'); // dual-stack: sees 127.0.0.1 and ::1
  const p = srv.port;
  const urls = [
    `http://127.0.0.1:${p}/`,
    `http://localhost:${p}/`,
    `http://[::1]:${p}/`,
    `http://0177.0.0.1:${p}/`,
    `http://2130706433:${p}/`,
    `http://0x7f.1:${p}/`,
    `http://[::ffff:127.0.0.1]:${p}/`,
    `http://[::ffff:7f00:1]:${p}/`,
    `http://0.0.0.0:${p}/`,
  ];
  for (const url of urls) await assert.rejects(req(url, { policy: PUBLIC_ONLY_HTTP }), notAllowed(/not allowed/), url);
  await assert.rejects(req(`http://localhost:${p}/`, { policy: PUBLIC_ONLY_HTTP }), notAllowed(/"localhost" resolves to a loopback address/));
  assert.equal(srv.connections, 0);
});

void test('schemes other than https, credentials and unlisted ports are refused', async (t) => {
  const srv = await serve(t, (_q, r) => r.end('x'));
  await assert.rejects(req(`${srv.origin}/`, { policy: { allowPrivateNetworks: true, allowHttp: false } }), notAllowed(/scheme "http" is not allowed; use https/));
  await assert.rejects(req('ftp://example.com/a.png'), notAllowed(/scheme "ftp"/));
  await assert.rejects(req('file:///etc/passwd'), notAllowed(/scheme "file"/));
  await assert.rejects(req(`http://user:pw@127.0.0.1:${srv.port}/`), notAllowed(/user name or password/));
  await assert.rejects(req(`${srv.origin}/`, { policy: { ...OPEN, allowedPorts: [80, 443] } }), notAllowed(new RegExp(`port ${srv.port}`)));
  await assert.rejects(req('not a url'), (err) => err instanceof AppError && err.code === 'validation_error');
  assert.equal(srv.connections, 0);
});

void test('cloud metadata is refused even when private networks are allowed, by name and by address', async () => {
  const dns = fakeDns({ 'metadata.google.internal': ['169.254.169.254'], 'evil.test': ['169.254.169.254'] });
  await assert.rejects(req('http://metadata.google.internal/computeMetadata/v1/', { lookup: dns }), notAllowed(/metadata/));
  assert.deepEqual(dns.calls, [], 'refused by name, before DNS');
  await assert.rejects(req('http://169.254.169.254/latest/meta-data/'), notAllowed(/cloud metadata address/));
  await assert.rejects(req('http://[fd00:ec2::254]/latest/meta-data/'), notAllowed(/cloud metadata address/));
  await assert.rejects(req('http://evil.test/', { lookup: dns }), notAllowed(/"evil.test" resolves to a cloud metadata address/));
  const permissive: UrlPolicy = { ...OPEN, isAllowedAddress: () => true };
  await assert.rejects(req('http://169.254.169.254/', { policy: permissive }), notAllowed(/metadata/));
});

void test('a host name resolving to a private address is refused, even when only one answer is private', async () => {
  const dns = fakeDns({ 'intranet.test': ['10.0.0.5'], 'mixed.test': ['93.184.216.34', '192.168.1.10'], 'v6.test': ['fd00::1'] });
  const policy: UrlPolicy = { allowPrivateNetworks: false, allowHttp: true };
  await assert.rejects(req('http://intranet.test/', { policy, lookup: dns }), notAllowed(/"intranet.test" resolves to a private network address/));
  await assert.rejects(req('http://mixed.test/', { policy, lookup: dns }), notAllowed(/"mixed.test"/));
  await assert.rejects(req('https://v6.test/', { policy, lookup: dns }), notAllowed(/unique-local/));
});

void test('with private networks allowed a GET and a POST work end to end', async (t) => {
  const srv = await serve(t, (q, r) => {
    r.setHeader('x-seen-method', q.method ?? '');
    r.setHeader('set-cookie', ['a=1', 'b=2']);
    r.end(q.method === 'POST' ? `echo:${srv.requests.at(-1)?.body ?? ''}` : 'hello');
  });
  const got = await req(`${srv.origin}/frame.png?x=1`, { headers: { 'X-Trace': 'abc' } });
  assert.equal(got.status, 200);
  assert.equal(got.body.toString(), 'hello');
  assert.equal(got.url, `${srv.origin}/frame.png?x=1`);
  assert.equal(got.truncated, false);
  assert.deepEqual(got.redirects, []);
  assert.equal(got.headers['x-seen-method'], 'GET');
  assert.equal(got.headers['set-cookie'], 'a=1, b=2');
  assert.equal(srv.requests[0]?.url, '/frame.png?x=1');
  assert.equal(srv.requests[0]?.headers['x-trace'], 'abc');
  assert.equal(srv.requests[0]?.headers.host, `127.0.0.1:${srv.port}`);

  const posted = await req(`${srv.origin}/hook`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  assert.equal(posted.body.toString(), 'echo:{"a":1}');
  assert.equal(srv.requests[1]?.headers['content-length'], '7');

  const head = await req(`${srv.origin}/`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

void test('the socket goes to the vetted address with the original Host header (no second DNS answer)', async (t) => {
  const srv = await serve(t, (_q, r) => r.end('ok'));
  const dns = fakeDns({ 'images.test': ['127.0.0.1'] });
  const got = await req(`http://images.test:${srv.port}/a.png`, { policy: ONLY_127_0_0_1, lookup: dns });
  assert.equal(got.body.toString(), 'ok');
  // Had Node resolved "images.test" itself it would have failed: the name exists only in fakeDns.
  assert.deepEqual(dns.calls, ['images.test']);
  assert.equal(srv.requests[0]?.headers.host, `images.test:${srv.port}`);
});

void test('a redirect to a refused address is re-checked and refused; the second server sees nothing', async (t) => {
  const inner = await serve(t, (_q, r) => r.end('internal secret'), '127.0.0.2');
  const outer = await serve(t, (_q, r) => r.writeHead(302, { location: `http://127.0.0.2:${inner.port}/admin` }).end());
  await assert.rejects(req(`${outer.origin}/img.png`, { policy: ONLY_127_0_0_1 }), notAllowed(/127\.0\.0\.2 is a loopback address/));
  assert.equal(outer.requests.length, 1);
  assert.equal(inner.connections, 0);
});

void test('each hop resolves DNS again: a name that rebinds to a refused address on hop two is refused', async (t) => {
  const inner = await serve(t, (_q, r) => r.end('internal secret'), '127.0.0.2');
  const outer = await serve(t, (_q, r) => r.writeHead(302, { location: `http://rebind.test:${inner.port}/` }).end());
  let answer = '127.0.0.1';
  const calls: string[] = [];
  const lookup: HostResolver = async (host) => {
    calls.push(host);
    const address = answer;
    answer = '127.0.0.2';
    return [{ address, family: 4 }];
  };
  await assert.rejects(req(`http://rebind.test:${outer.port}/`, { policy: ONLY_127_0_0_1, lookup }), notAllowed(/"rebind.test" resolves to a loopback address/));
  assert.deepEqual(calls, ['rebind.test', 'rebind.test']);
  assert.equal(outer.requests.length, 1);
  assert.equal(inner.connections, 0);
});

void test('a redirect chain is followed with Fetch method rules', async (t) => {
  const srv = await serve(t, (q, r) => {
    if (q.url === '/a') r.writeHead(302, { location: '/b' }).end('ignored body');
    else if (q.url === '/b') r.writeHead(307, { location: `${srv.origin}/c` }).end();
    else if (q.url === '/post') r.writeHead(303, { location: '/after-303' }).end();
    else if (q.url === '/keep') r.writeHead(308, { location: '/kept' }).end();
    else r.end(`${q.method ?? ''} ${q.url ?? ''}`);
  });
  const got = await req(`${srv.origin}/a`);
  assert.equal(got.body.toString(), 'GET /c');
  assert.equal(got.url, `${srv.origin}/c`);
  assert.deepEqual(got.redirects, [`${srv.origin}/b`, `${srv.origin}/c`]);

  const after303 = await req(`${srv.origin}/post`, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
  assert.equal(after303.body.toString(), 'GET /after-303');
  const hop = srv.requests.find((r) => r.url === '/after-303');
  assert.equal(hop?.body, '');
  assert.equal(hop?.headers['content-type'], undefined);

  const after308 = await req(`${srv.origin}/keep`, { method: 'POST', body: 'payload' });
  assert.equal(after308.body.toString(), 'POST /kept');
  assert.equal(srv.requests.find((r) => r.url === '/kept')?.body, 'payload');
});

void test('a cross-origin redirect drops Authorization and Cookie', async (t) => {
  const b = await serve(t, (_q, r) => r.end('b'));
  const a = await serve(t, (_q, r) => r.writeHead(302, { location: `http://b.test:${b.port}/` }).end());
  const lookup = fakeDns({ 'a.test': ['127.0.0.1'], 'b.test': ['127.0.0.1'] });
  await req(`http://a.test:${a.port}/`, { lookup, headers: { authorization: 'Bearer x', cookie: 's=1', 'x-keep': 'y' } });
  assert.equal(a.requests[0]?.headers.authorization, 'Bearer x');
  assert.equal(b.requests[0]?.headers.authorization, undefined);
  assert.equal(b.requests[0]?.headers.cookie, undefined);
  assert.equal(b.requests[0]?.headers['x-keep'], 'y');
});

void test('too many redirects is refused; maxRedirects 0 returns the 3xx itself', async (t) => {
  const srv = await serve(t, (q, r) => r.writeHead(302, { location: `/loop${(q.url ?? '').length}` }).end('moved'));
  await assert.rejects(req(`${srv.origin}/`, { maxRedirects: 3 }), notAllowed(/redirected more than 3 times/));
  assert.equal(srv.requests.length, 4);

  const raw = await req(`${srv.origin}/`, { maxRedirects: 0 });
  assert.equal(raw.status, 302);
  assert.equal(raw.headers.location, '/loop1');
  assert.equal(raw.body.toString(), 'moved');
  assert.deepEqual(raw.redirects, []);
});

void test('the body cap truncates, or throws too_large when asked', async (t) => {
  const srv = await serve(t, (_q, r) => r.end(Buffer.alloc(10_000, 7)));
  const cut = await req(`${srv.origin}/`, { maxResponseBytes: 1000 });
  assert.equal(cut.truncated, true);
  assert.equal(cut.body.length, 1000);
  const exact = await req(`${srv.origin}/`, { maxResponseBytes: 10_000 });
  assert.equal(exact.truncated, false);
  await assert.rejects(req(`${srv.origin}/`, { maxResponseBytes: 1000, failOnTooLarge: true }), failure('too_large'));
});

void test('a huge Content-Length fails at once, without waiting for the body', async (t) => {
  const srv = await serve(t, (_q, r) => {
    r.writeHead(200, { 'content-length': String(5 * 1024 ** 3) });
    r.write('x'); // and never more
  });
  const started = Date.now();
  await assert.rejects(req(`${srv.origin}/`, { maxResponseBytes: 1024, failOnTooLarge: true, timeoutMs: 5000 }), failure('too_large'));
  assert.ok(Date.now() - started < 1000);
});

void test('an endless body is cut at the cap and the socket is closed', async (t) => {
  let closed = false;
  const srv = await serve(t, (_q, r) => {
    const timer = setInterval(() => r.write(Buffer.alloc(4096, 1)), 5);
    r.on('close', () => {
      clearInterval(timer);
      closed = true;
    });
  });
  const got = await req(`${srv.origin}/`, { maxResponseBytes: 20_000 });
  assert.equal(got.truncated, true);
  assert.equal(got.body.length, 20_000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(closed, true);
});

void test('a server that never answers times out; so does one that never ends the body', async (t) => {
  const silent = await serve(t, () => undefined);
  let started = Date.now();
  await assert.rejects(req(`${silent.origin}/`, { timeoutMs: 300 }), failure('timeout'));
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 280 && elapsed < 2000, `took ${elapsed} ms`);

  const dribble = await serve(t, (_q, r) => r.write('partial'));
  started = Date.now();
  await assert.rejects(req(`${dribble.origin}/`, { timeoutMs: 300 }), failure('timeout'));
  assert.ok(Date.now() - started < 2000);
});

void test('the time budget covers every hop, not each one', async (t) => {
  const srv = await serve(t, (q, r) => {
    if (q.url === '/slow') return; // never answers
    setTimeout(() => r.writeHead(302, { location: q.url === '/' ? '/2' : '/slow' }).end(), 150);
  });
  const started = Date.now();
  await assert.rejects(req(`${srv.origin}/`, { timeoutMs: 400 }), failure('timeout'));
  assert.ok(Date.now() - started < 1000);
});

void test("the caller's signal aborts the request with its own reason", async (t) => {
  const silent = await serve(t, () => undefined);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('shutting down')), 50);
  await assert.rejects(req(`${silent.origin}/`, { signal: ac.signal }), /shutting down/);
  await assert.rejects(req(`${silent.origin}/`, { signal: AbortSignal.abort(new Error('already')) }), /already/);
});

void test('network failures are typed: dns, connect, tls, protocol', async (t) => {
  await assert.rejects(req('http://nowhere.test/', { lookup: fakeDns({}) }), failure('dns'));

  const plain = await serve(t, () => undefined);
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  await assert.rejects(req(`http://127.0.0.1:${deadPort}/`), failure('connect'));

  // https to a plain-HTTP server: the handshake fails.
  await assert.rejects(req(`https://127.0.0.1:${plain.port}/`), failure('tls'));

  // A TLS server that records the SNI name and then refuses: the name must be the URL's host.
  const sni: string[] = [];
  const tlsServer = tls.createServer({
    SNICallback: (name, cb) => {
      sni.push(name);
      cb(new Error('no certificate here'), undefined);
    },
  });
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  t.after(() => tlsServer.close());
  const tlsPort = (tlsServer.address() as AddressInfo).port;
  await assert.rejects(req(`https://secure.test:${tlsPort}/`, { lookup: fakeDns({ 'secure.test': ['127.0.0.1'] }) }), failure('tls'));
  assert.deepEqual(sni, ['secure.test']);

  const garbage = net.createServer((s) => s.end('NOT HTTP AT ALL\r\n\r\n'));
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  t.after(() => garbage.close());
  await assert.rejects(req(`http://127.0.0.1:${(garbage.address() as AddressInfo).port}/`), failure('protocol'));
});
