import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeVideo } from '../../src/media/index.js';
import { startReelay, waitForJob, type TestReelay } from '../support/reelay.js';
import { freePort } from '../support/process.js';
import { makeImage } from '../support/images.js';

const BIN = fileURLToPath(new URL('../../bin/reelay.js', import.meta.url));
const ADMIN = 'admin-token-for-cli-tests-000000';
let r: TestReelay;
let tmp: string;

before(async () => {
  r = await startReelay({ adminToken: ADMIN });
  tmp = await mkdtemp(join(tmpdir(), 'reelay-cli-'));
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function reelay(args: string[], env: Record<string, string> = {}, opts: { interruptAfterMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: tmp, REELAY_URL: r.url, REELAY_API_KEY: r.key, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.interruptAfterMs !== undefined && stderr.includes('(job ') && !child.killed) {
        setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs);
        opts.interruptAfterMs = undefined;
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('reelay generate submits, shows progress, downloads a playable MP4 and prints where it is', async () => {
  const out = join(tmp, 'clip.mp4');
  const res = await reelay(['generate', 'a lighthouse in a storm [Zoom in]', '--duration', '6', '--out', out]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, new RegExp(`${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*1366×768`));
  assert.match(res.stderr, /PROCESSING \d+%/, 'progress lines when not on a terminal');
  const p = await probeVideo(out);
  assert.deepEqual([p.width, p.height, p.fps], [1366, 768, 24]);
});

test('reelay generate with a local image file and --json', async () => {
  const img = join(tmp, 'in.png');
  await makeImage(img, 800, 800);
  const out = join(tmp, 'i2v.mp4');
  const res = await reelay(['generate', 'gentle [Pan left]', '--image', img, '--model', 'hailuo-2.3-fast', '--out', out, '--json']);
  assert.equal(res.code, 0, res.stderr);
  const job = JSON.parse(res.stdout) as { status: string; file: string; result: { width: number; height: number } };
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.file, out);
  assert.deepEqual([job.result.width, job.result.height], [768, 768]);
});

test('helpful errors and exit codes: invalid combination 2, wrong key 4, server down 5, failed job 1, unknown command 2', async () => {
  const combo = await reelay(['generate', 'x', '--resolution', '1080p', '--duration', '10']);
  assert.equal(combo.code, 2);
  assert.match(combo.stderr, /1080p supports 6-second clips only/);
  assert.match(combo.stderr, /hailuoParams\.duration/);

  const wrongKey = await reelay(['jobs', 'list'], { REELAY_API_KEY: `rl_test_${'1'.repeat(32)}` });
  assert.equal(wrongKey.code, 4);
  assert.match(wrongKey.stderr, /Invalid or revoked API key.*REELAY_API_KEY/);

  const down = await reelay(['jobs', 'list'], { REELAY_URL: `http://127.0.0.1:${await freePort()}` });
  assert.equal(down.code, 5);
  assert.match(down.stderr, /cannot reach Reelay .* is it running/);

  const failed = await reelay(['generate', 'x [[sandbox:fail=content_policy]]', '--out', join(tmp, 'never.mp4')]);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /FAILED.*content_policy/);

  const unknown = await reelay(['frobnicate']);
  assert.equal(unknown.code, 2);
  const noKey = await reelay(['jobs', 'list'], { REELAY_API_KEY: '' });
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /REELAY_API_KEY/);
});

test('Ctrl-C while waiting (no terminal): the job keeps running and the exit code is 130', async () => {
  const res = await reelay(['generate', 'slow [[sandbox:delay=4]]', '--out', join(tmp, 'late.mp4')], {}, { interruptAfterMs: 100 });
  assert.equal(res.code, 130, res.stderr);
  const id = /job ([0-9a-f-]{36}) keeps running/.exec(res.stderr)?.[1];
  assert.ok(id, res.stderr);
  const job = await waitForJob(r.url, r.key, id!);
  assert.equal(job.status, 'COMPLETED');
});

test('reelay jobs list|show|cancel with --json', async () => {
  const submitted = await reelay(['generate', 'queued for cancel [[sandbox:delay=20]]', '--no-wait']);
  assert.equal(submitted.code, 0, submitted.stderr);
  const id = submitted.stdout.trim();
  const list = await reelay(['jobs', 'list', '--json']);
  assert.ok((JSON.parse(list.stdout) as { jobs: { id: string }[] }).jobs.some((j) => j.id === id));
  const show = await reelay(['jobs', 'show', id, '--json']);
  assert.equal((JSON.parse(show.stdout) as { id: string }).id, id);
  const cancel = await reelay(['jobs', 'cancel', id]);
  assert.equal(cancel.code, 0, cancel.stderr);
  const again = await reelay(['jobs', 'cancel', id]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already CANCELLED/);
  assert.equal((await reelay(['jobs', 'show', '00000000-0000-4000-8000-000000000000'])).code, 3);
});

test('admin commands: against the server with the admin token, and directly against a local database', async () => {
  const remote = { REELAY_ADMIN_TOKEN: ADMIN };
  const created = await reelay(['accounts', 'create', 'acme', '--plan', 'free', '--json'], remote);
  assert.equal(created.code, 0, created.stderr);
  const { account, key } = JSON.parse(created.stdout) as { account: { id: string }; key: string };
  assert.match(key, /^rl_test_/);
  const granted = await reelay(['credits', 'grant', account.id, '250', '--reason', 'pilot'], remote);
  assert.equal(granted.code, 0, granted.stderr);
  assert.match(granted.stdout, /live 250/);
  assert.equal((await reelay(['credits', 'grant', account.id, '5'], remote)).code, 2, '--reason is required');
  const keys = await reelay(['keys', 'list', account.id, '--json'], remote);
  assert.equal((JSON.parse(keys.stdout) as unknown[]).length, 1);
  const ledger = await reelay(['ledger', account.id], remote);
  assert.match(ledger.stdout, /grant\s+250\s+world→available\s+pilot/);
  assert.equal((await reelay(['accounts', 'show', 'acct_nope'], remote)).code, 3);
  assert.equal((await reelay(['accounts', 'list'], { REELAY_ADMIN_TOKEN: 'wrong-token-wrong-token' })).code, 4);

  const localDir = join(tmp, 'local-data');
  const local = { REELAY_URL: '', REELAY_DATA_DIR: localDir };
  assert.equal((await reelay(['migrate'], local)).code, 0, 'an empty database is made on purpose, not by any admin command');
  const made = await reelay(['accounts', 'create', 'offline', '--json'], local);
  assert.equal(made.code, 0, made.stderr);
  const localId = (JSON.parse(made.stdout) as { account: { id: string } }).account.id;
  const shown = await reelay(['credits', 'show', localId, '--json'], local);
  assert.deepEqual((JSON.parse(shown.stdout) as { test: unknown }).test, { available: 5000, held: 0, spent: 0 });
  const plans = await reelay(['plans', 'list'], local);
  assert.match(plans.stdout, /enterprise/);
});
