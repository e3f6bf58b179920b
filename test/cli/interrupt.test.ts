/**
 * Ctrl-C during `reelay generate`, typed into a real pseudo-terminal, against a real Reelay.
 * Regression: the CLI printed "Cancel job …? [y/N]", then threw "interrupted" with a stack trace
 * without waiting for the answer, and the job went on running (and was charged).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startReelay, waitForJob, type TestReelay } from '../support/reelay.js';
import { havePty, ptyCli, type PtySession } from './run-cli.js';

let r: TestReelay;
let tmp: string;

before(async () => {
  // Fails loudly rather than skipping: these tests are the only proof that Ctrl-C works for a person.
  assert.ok(havePty(), 'util-linux `script` is needed to run the CLI in a pseudo-terminal (apt-get install util-linux)');
  r = await startReelay();
  tmp = await mkdtemp(join(tmpdir(), 'reelay-cli-pty-'));
});
after(async () => {
  await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

function slowGenerate(name: string): PtySession {
  return ptyCli(['generate', `${name} [[sandbox:delay=20]]`, '--out', join(tmp, `${name}.mp4`)], { REELAY_URL: r.url, REELAY_API_KEY: r.key });
}

/**
 * Waits (in the output after `from`) for the progress bar, so the job exists, presses Ctrl-C and
 * reads the job id from the question.
 */
async function interrupt(s: PtySession, from = 0): Promise<{ id: string; end: number }> {
  const bar = await s.waitFor(/(QUEUED|PROCESSING) +\[/, from);
  s.type('\x03');
  const q = await s.waitFor(/Cancel job ([0-9a-f-]{36})\? \[y\/N\] /, bar.end);
  return { id: q.match[1]!, end: q.end };
}

async function testCredits(): Promise<{ available: number; held: number }> {
  const me = await api(r.url, r.key, 'GET', '/v2/me');
  return (me.body.credits as Record<string, { available: number; held: number }>).test!;
}

test('Ctrl-C asks "Cancel job …? [y/N]" and waits; "y" cancels the job on the server, releases its credits and exits 130', async () => {
  const before = await testCredits();
  const s = slowGenerate('cancel-me');
  const { id } = await interrupt(s);
  // The question waits: nothing is cancelled and the process is still there until we answer.
  assert.equal((await api(r.url, r.key, 'GET', `/v2/jobs/${id}`)).body.status !== 'CANCELLED', true);
  s.type('y\r');
  assert.equal(await s.exited, 130, s.output());
  assert.match(s.output(), new RegExp(`job ${id} cancelled; its credits were released`));
  assert.doesNotMatch(s.output(), /\n\s+at |Error: interrupted/, 'no stack trace');
  const job = await api(r.url, r.key, 'GET', `/v2/jobs/${id}`);
  assert.equal(job.body.status, 'CANCELLED');
  assert.deepEqual(await testCredits(), before, 'the hold was released: balance as before the job');
});

test('Ctrl-C then Enter keeps waiting; Ctrl-C again and a second Ctrl-C at the question exits 130 and leaves the job running', async () => {
  const s = slowGenerate('keep-me');
  const { id, end } = await interrupt(s);
  s.type('\r');
  const still = await s.waitFor(new RegExp(`still waiting for job ${id}`), end);
  // Waiting goes on: the progress bar is drawn again after the answer, and Ctrl-C asks again.
  const again = await interrupt(s, still.end);
  assert.equal(again.id, id);
  s.type('\x03');
  assert.equal(await s.exited, 130, s.output());
  assert.match(s.output(), new RegExp(`job ${id} keeps running.*reelay jobs show ${id}`));
  assert.doesNotMatch(s.output(), /\n\s+at |Error: interrupted/, 'no stack trace');
  const job = await api(r.url, r.key, 'GET', `/v2/jobs/${id}`);
  assert.ok(['QUEUED', 'PROCESSING'].includes(String(job.body.status)), `job is ${String(job.body.status)}`);
  // Tidy up: the sandbox slot is shared with the other test.
  assert.equal((await api(r.url, r.key, 'POST', `/v2/jobs/${id}/cancel`)).status, 200);
  assert.equal((await waitForJob(r.url, r.key, id)).status, 'CANCELLED');
});
