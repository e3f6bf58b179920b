/**
 * Making polling unnecessary on submit: `Prefer: wait=N` on every dialect's submit route answers
 * with the finished job when it ends in time, else as usual; WaveSpeed's `enable_sync_mode` takes
 * the same path (it was a 250 ms database poll loop per waiting request).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startReelay, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';

let r: TestReelay;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelay-prefer-'));
  r = await startReelay({ syncWaitSeconds: 25 });
});
after(async () => {
  await r.stop();
  await rm(dir, { recursive: true, force: true });
});

const bearer = () => ({ authorization: `Bearer ${r.key}` });

test('Apiframe: Prefer: wait=60 answers 200 with the finished job; a job that outlasts the wait gets the usual 202', async () => {
  const done = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'a held submit [Zoom in]' }, { prefer: 'respond-async, wait=60' });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.status, 'COMPLETED');
  assert.match(String((done.body.result as { videoUrl: string }).videoUrl), /\/files\//);
  assert.equal(done.headers.get('preference-applied'), 'wait=60');

  const started = Date.now();
  const slow = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'slow [[sandbox:delay=20]]' }, { prefer: 'wait=1' });
  assert.equal(slow.status, 202);
  assert.ok(['QUEUED', 'PROCESSING'].includes(String(slow.body.status)));
  assert.ok(Date.now() - started < 15_000, 'answered after the wait, not at the end of the job');
  await api(r.url, r.key, 'POST', `/v2/jobs/${String(slow.body.jobId)}/cancel`);

  const plain = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'no preference' }, { prefer: 'wait=banana' });
  assert.equal(plain.status, 202, 'a malformed preference is ignored');
});

test('WaveSpeed: enable_sync_mode and Prefer: wait share one path; sync mode still says 5004 when it runs out', async () => {
  const sync = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'sync mode', enable_sync_mode: true }, bearer());
  assert.equal(sync.status, 200);
  assert.equal((sync.body.data as { status: string }).status, 'completed', JSON.stringify(sync.body));
  const prefer = await api(r.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'prefer wait' }, { ...bearer(), prefer: 'wait=60' });
  assert.equal((prefer.body.data as { status: string }).status, 'completed');
  // A server whose sync wait is short, so that running out costs this test 2 s rather than 25.
  const short = await startReelay({ syncWaitSeconds: 2 });
  try {
    const started = Date.now();
    const late = await api(short.url, null, 'POST', '/api/v3/minimax/hailuo-2.3/t2v-standard', { prompt: 'late [[sandbox:delay=50]]', enable_sync_mode: true }, { authorization: `Bearer ${short.key}` });
    const data = late.body.data as { status: string; code: number; id: string; error: string };
    assert.notEqual(data.status, 'completed');
    assert.equal(data.code, 5004);
    assert.match(data.error, /Sync mode timed out after 2 s/);
    assert.ok(Date.now() - started >= 1900, 'it waited out the sync wait');
    await api(short.url, short.key, 'POST', `/v2/jobs/${data.id}/cancel`);
  } finally {
    await short.stop();
  }
});

test('API in One: Prefer: wait answers with the completed task', async () => {
  const png = await makeImage(join(dir, 'first.png'), 640, 480);
  const res = await api(
    r.url,
    null,
    'POST',
    '/api/v1/videos/generations',
    { model: 'hailuo-2-3', prompt: 'a held task [Pan left]', image: `data:image/png;base64,${png.toString('base64')}` },
    { ...bearer(), prefer: 'wait=60' },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'completed');
  assert.ok((res.body.result as { video_url: string }).video_url);
});

test('regression: Prefer: wait with seven or more digits was ignored; any N past the cap is the cap (60 s)', async () => {
  for (const n of ['9999999', '0000000000000000000000061', '9'.repeat(400)]) {
    const res = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: `a long preference ${n.length} [Zoom in]` }, { prefer: `wait=${n}` });
    assert.equal(res.status, 200, `wait=${n.slice(0, 20)}…: ${JSON.stringify(res.body)}`);
    assert.equal(res.headers.get('preference-applied'), 'wait=60');
  }
  const small = await api(r.url, r.key, 'POST', '/v2/videos/generate', { model: 'hailuo-2.3', prompt: 'a leading-zero preference' }, { prefer: 'wait=0005' });
  assert.equal(small.headers.get('preference-applied'), 'wait=5');
});
