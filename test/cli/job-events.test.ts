/**
 * The TypeScript client and `reelay generate` follow a job through its event stream
 * (`/v2/jobs/{id}/events`) instead of polling, and still finish by polling when the stream is
 * unavailable (404 from a server or proxy without it). A recording proxy in front of a real Reelay
 * shows which requests were made.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reelay, SseParser, type Job } from 'reelay/client';
import { startReelay, type TestReelay } from '../support/reelay.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { runCli } from './run-cli.js';

let r: TestReelay;
let proxy: RecordingProxy;
let tmp: string;

before(async () => {
  r = await startReelay();
  proxy = await startRecordingProxy(r.url);
  tmp = await mkdtemp(join(tmpdir(), 'reelay-events-'));
});
after(async () => {
  await proxy.close();
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

const polls = (id: string): string[] => proxy.requests.filter((l) => l === `GET /v2/jobs/${id}`);
const streams = (id: string): string[] => proxy.requests.filter((l) => l === `GET /v2/jobs/${id}/events`);

test('SseParser joins events split anywhere across chunks, with CRLF, comments and multi-line data', () => {
  const text = ': ping\r\n\r\nretry: 2000\r\n\r\nid: 7\r\nevent: state\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 8\nevent: done\ndata: {}\n\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const p = new SseParser();
    const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
    assert.deepEqual(got, [
      { id: '7', event: 'state', data: '{"a":\n1}' },
      { id: '8', event: 'done', data: '{}' },
    ], `cut at ${cut}`);
  }
});

test('client.run follows the event stream to COMPLETED without polling, with progress on the way', async () => {
  const client = new Reelay({ baseUrl: proxy.url, apiKey: r.key });
  const seen: Job[] = [];
  const job = await client.run('hailuo-2.3', { prompt: 'a heron lifts off [[sandbox:delay=2]]', hailuoParams: { duration: 6 } }, { onProgress: (j) => seen.push(j) });
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.engine, 'sandbox');
  assert.equal(job.statusReason, null);
  assert.ok(job.result?.videoUrl);
  assert.equal(streams(job.id).length, 1, proxy.requests.join('\n'));
  assert.deepEqual(polls(job.id), [], 'no GET /v2/jobs/{id} while the stream works');
  assert.equal(seen.at(-1)?.status, 'COMPLETED');
  assert.ok(seen.length >= 2, `several events before the end: ${seen.map((j) => `${j.status}/${j.progress}`).join(', ')}`);
});

test('client.run falls back to polling when /events answers 404, and reports the fallback', async () => {
  proxy.blockEvents = true;
  try {
    const client = new Reelay({ baseUrl: proxy.url, apiKey: r.key });
    const fallbacks: string[] = [];
    const job = await client.run('hailuo-2.3', { prompt: 'a slow tide [Pan left]' }, { firstDelayMs: 200, onFallback: (e) => fallbacks.push(e.message) });
    assert.equal(job.status, 'COMPLETED');
    assert.equal(streams(job.id).length, 1, 'the stream was tried first');
    assert.ok(polls(job.id).length >= 1, 'then the job was polled');
    assert.deepEqual(fallbacks, ['the event stream answered HTTP 404']);
  } finally {
    proxy.blockEvents = false;
  }
});

test('client.wait rejects with JobFailedError from the stream when the job fails', async () => {
  const client = new Reelay({ baseUrl: proxy.url, apiKey: r.key });
  const { jobId } = await client.submit('hailuo-2.3', { prompt: 'x [[sandbox:fail=content_policy]]' });
  await assert.rejects(client.wait(jobId), (err: unknown) => {
    assert.equal((err as { name: string }).name, 'JobFailedError');
    assert.equal((err as { job: Job }).job.errorCode, 'content_policy');
    return true;
  });
  assert.deepEqual(polls(jobId), []);
});

test('reelay generate follows the event stream (no polling) and downloads the video', async () => {
  const out = join(tmp, 'sse.mp4');
  const res = await runCli(['generate', 'a lantern festival [Tilt up]', '--out', out, '--json'], { REELAY_URL: proxy.url, REELAY_API_KEY: r.key });
  assert.equal(res.code, 0, res.stderr);
  const job = JSON.parse(res.stdout) as Job;
  assert.equal(streams(job.id).length, 1, proxy.requests.join('\n'));
  assert.deepEqual(polls(job.id), []);
  assert.ok((await stat(out)).size > 10_000);
});

test('reelay generate still finishes by polling when /events answers 404', async () => {
  proxy.blockEvents = true;
  try {
    const out = join(tmp, 'poll.mp4');
    const res = await runCli(['generate', 'a paper boat [Push in]', '--out', out, '--json'], { REELAY_URL: proxy.url, REELAY_API_KEY: r.key });
    assert.equal(res.code, 0, res.stderr);
    const job = JSON.parse(res.stdout) as Job;
    assert.equal(job.status, 'COMPLETED');
    assert.ok(polls(job.id).length >= 1, proxy.requests.join('\n'));
    assert.ok((await stat(out)).size > 10_000);
  } finally {
    proxy.blockEvents = false;
  }
});
