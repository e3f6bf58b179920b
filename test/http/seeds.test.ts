/**
 * The seeds' own code, run against Reelay with only the host and the key swapped (and
 * example.com image URLs pointed at a loopback server, since this machine has no internet).
 * Each request below is byte-for-byte the body and headers the seed shows; each loop is the
 * seed's polling logic.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReelay, type TestReelay } from '../support/reelay.js';
import { makeImage } from '../support/images.js';

let r: TestReelay;
let tmp: string;
let images: Server;
let imageBase: string;

before(async () => {
  // Image URLs from the seeds live on a loopback server, so private addresses must be allowed here.
  r = await startReelay({ allowPrivateUrls: true, allowHttpUrls: true });
  tmp = await mkdtemp(join(tmpdir(), 'reelay-seeds-'));
  const jpg = await readFile(await makeImage(join(tmp, 'x.jpg'), 1280, 720).then(() => join(tmp, 'x.jpg')));
  images = createServer((_req, res) => {
    res.setHeader('content-type', 'image/jpeg');
    res.end(jpg);
  });
  await new Promise<void>((ok) => images.listen(0, '127.0.0.1', ok));
  imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
});
after(async () => {
  await r.stop();
  images.close();
  await rm(tmp, { recursive: true, force: true });
});

const CASTLE = {
  prompt: 'cinematic aerial shot of a medieval castle at dawn with mist rolling through the valleys',
  model: 'hailuo-2.3',
  hailuoParams: { duration: 10, resolution: '768p' },
};

/** The seeds' loop: GET the job until COMPLETED or FAILED, sleeping between polls. */
async function pollLikeTheSeed(id: string, key: string, sleepMs: number): Promise<Record<string, unknown>> {
  for (let i = 0; i < 1000; i++) {
    const job = (await (await fetch(`${r.url}/v2/jobs/${id}`, { headers: { 'X-API-Key': key } })).json()) as Record<string, unknown>;
    if (job.status === 'COMPLETED' || job.status === 'FAILED') return job;
    await new Promise((res) => setTimeout(res, sleepMs));
  }
  throw new Error('never finished');
}

async function assertVideo(job: Record<string, unknown>, width: number, height: number): Promise<void> {
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const result = job.result as { videoUrl: string; width: number; height: number };
  assert.deepEqual([result.width, result.height], [width, height]);
  const res = await fetch(result.videoUrl, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'video/mp4');
}

test('seeds 000/003: curl, JavaScript and Go text-to-video requests (same body, same headers) each yield a video', async () => {
  // curl -H "X-API-Key: …" -H "Content-Type: application/json" -d '{…}'  (curl also sends its own UA and Accept: */*)
  const variants: Record<string, Record<string, string>> = {
    curl: { 'X-API-Key': r.key, 'Content-Type': 'application/json', 'User-Agent': 'curl/7.88.1', Accept: '*/*' },
    javascript: { 'X-API-Key': r.key, 'Content-Type': 'application/json' },
    go: { 'X-API-Key': r.key, 'Content-Type': 'application/json', 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'gzip' },
  };
  // Go's body is the multi-line string literal from seed 003, sent as is.
  const goBody = `{
"prompt": "cinematic aerial shot of a medieval castle at dawn with mist rolling through the valleys",
"model": "hailuo-2.3",
"hailuoParams": {
"duration": 10,
"resolution": "768p"
}
}`;
  for (const [name, headers] of Object.entries(variants)) {
    const res = await fetch(`${r.url}/v2/videos/generate`, { method: 'POST', headers, body: name === 'go' ? goBody : JSON.stringify(CASTLE) });
    assert.equal(res.status, 202, name);
    const { jobId, status } = (await res.json()) as { jobId: string; status: string };
    assert.equal(status, 'QUEUED');
    // seed 003 JS: do { wait 2000 } while (status !== COMPLETED && !== FAILED) — interval scaled 10× down
    await assertVideo(await pollLikeTheSeed(jobId, r.key, 200), 1366, 768);
  }
});

test("seed 000's image-to-video request (1080p, 6 s, prompt_optimizer) yields a 1080p video that keeps the image's 16:9", async () => {
  const res = await fetch(`${r.url}/v2/videos/generate`, {
    method: 'POST',
    headers: { 'X-API-Key': r.key, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      prompt: 'a dancer performing a graceful spin, studio lighting',
      model: 'hailuo-2.3',
      hailuoParams: { image: `${imageBase}/dancer.jpg`, duration: 6, resolution: '1080p', prompt_optimizer: true },
    }),
  });
  assert.equal(res.status, 202, await res.clone().text());
  await assertVideo(await pollLikeTheSeed(((await res.json()) as { jobId: string }).jobId, r.key, 200), 1920, 1080);
});

test("seed 004's Hailuo 2.3 Fast quick start (image URL, no duration) yields a 768p video", async () => {
  const res = await fetch(`${r.url}/v2/videos/generate`, {
    method: 'POST',
    headers: { 'X-API-Key': r.key, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      prompt: 'a cinematic sunrise over a futuristic cityscape, smooth camera push-in',
      model: 'hailuo-2.3-fast',
      hailuoParams: { image: `${imageBase}/input.jpg`, resolution: '768p', prompt_optimizer: true },
    }),
  });
  assert.equal(res.status, 202);
  const job = await pollLikeTheSeed(((await res.json()) as { jobId: string }).jobId, r.key, 200);
  await assertVideo(job, 1366, 768);
  assert.equal(job.creditCost, 32);
});

test("seed 002's WaveSpeed curl (a placeholder '{}' body) gets a clear 400 in WaveSpeed's envelope; with a prompt, its poll loop reads data.outputs[0]", async () => {
  const empty = await fetch(`${r.url}/api/v3/minimax/hailuo-2.3/t2v-standard`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${r.key}` },
    body: '{}',
  });
  assert.equal(empty.status, 400);
  const e = (await empty.json()) as { code: number; message: string };
  assert.equal(e.code, 400);
  assert.match(e.message, /prompt/i);

  const sub = await fetch(`${r.url}/api/v3/minimax/hailuo-2.3/t2v-standard`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${r.key}` },
    body: JSON.stringify({ prompt: 'a lantern festival over a river' }),
  });
  const id = ((await sub.json()) as { data: { id: string } }).data.id;
  let data: { status: string; outputs: string[] } = { status: 'created', outputs: [] };
  for (let i = 0; i < 600 && data.status !== 'completed' && data.status !== 'failed'; i++) {
    await new Promise((res) => setTimeout(res, 200)); // "every 1-2 seconds", scaled down
    data = ((await (await fetch(`${r.url}/api/v3/predictions/${id}/result`, { headers: { Authorization: `Bearer ${r.key}` } })).json()) as { data: typeof data }).data;
  }
  assert.equal(data.status, 'completed');
  assert.equal((await fetch(data.outputs[0]!, { method: 'HEAD' })).headers.get('content-type'), 'video/mp4');
});

const python = spawnSync('python3', ['-c', 'import requests'], { stdio: 'ignore' }).status === 0;

test(
  "seed 000's Python, run verbatim by python3 + requests (host and key swapped, sleep(5) kept)",
  { skip: python ? false : 'python3 with the requests module is not installed on this machine' },
  async () => {
    const script = `
import requests
import time

response = requests.post(
    "${r.url}/v2/videos/generate",
    headers={
        "X-API-Key": "${r.key}",
        "Content-Type": "application/json",
    },
    json={
        "prompt": "cinematic aerial shot of a medieval castle at dawn with mist rolling through the valleys",
        "model": "hailuo-2.3",
        "hailuoParams": {
            "duration": 10,
            "resolution": "768p",
        },
    },
)
print(response.json())  # { "jobId": "...", "status": "QUEUED" }
job_id = response.json()["jobId"]

while True:
    job = requests.get(
        f"${r.url}/v2/jobs/{job_id}",
        headers={"X-API-Key": "${r.key}"},
    ).json()
    if job["status"] in ("COMPLETED", "FAILED"):
        break
    time.sleep(5)

print(job["result"])  # { "videoUrl": "https://cdn2.apiframe.ai/videos/..." }
print(job["result"]["videoUrl"])
`;
    // Asynchronously: the Reelay under test runs in this very process and must keep answering.
    const { stdout: out } = await promisify(execFile)('python3', ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /'status': 'QUEUED'/);
    assert.match(lines.at(-1)!, new RegExp(`^${r.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/files/jobs/.+/video\\.mp4\\?exp=\\d+&sig=`));
  },
);
