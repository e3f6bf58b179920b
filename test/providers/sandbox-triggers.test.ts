/**
 * The `[[sandbox:…]]` test triggers, and the cap on `delay` (regression: `[[sandbox:delay=600]]`
 * held a render slot for ten minutes; two of them blocked every other tenant's renders).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { parseTriggers } from '../../src/providers/index.js';
import { api, startReelay, waitForJob, type TestReelay } from '../support/reelay.js';

describe('parseTriggers', () => {
  test('a delay above the maximum is clamped to it (60 s unless configured)', () => {
    assert.equal(parseTriggers('a fox [[sandbox:delay=600]]').delaySeconds, 60);
    assert.equal(parseTriggers('a fox [[sandbox:delay=600]]', 5).delaySeconds, 5);
    assert.equal(parseTriggers('a fox [[sandbox:delay=2.5]]', 5).delaySeconds, 2.5);
    assert.equal(parseTriggers('a fox [[sandbox:delay=600]]', 0).delaySeconds, 0);
  });

  test('markers leave the prompt; nonsense values are ignored', () => {
    const t = parseTriggers('a fox [[sandbox:delay=0]] runs [[ sandbox:fail=CONTENT_POLICY ]] [[sandbox:fail=nope]]');
    assert.deepEqual(t, { fail: 'content_policy', delaySeconds: 0, prompt: 'a fox runs' });
  });
});

describe('sandboxMaxDelaySeconds', () => {
  test('defaults to 60 and reads REELAY_SANDBOX_MAX_DELAY_SECONDS', () => {
    assert.equal(loadConfig({}).sandboxMaxDelaySeconds, 60);
    assert.equal(loadConfig({ REELAY_SANDBOX_MAX_DELAY_SECONDS: '5' }).sandboxMaxDelaySeconds, 5);
    assert.throws(() => loadConfig({ REELAY_SANDBOX_MAX_DELAY_SECONDS: '-1' }), /sandboxMaxDelaySeconds/);
  });
});

describe('a running server clamps the delay it is asked for', () => {
  let r: TestReelay;
  before(async () => {
    r = await startReelay({ sandboxMaxDelaySeconds: 1 });
  });
  after(async () => r.stop());

  test('[[sandbox:delay=600]] waits the configured 1 s, not ten minutes', async () => {
    // The fail trigger fires after the delay, so the job ends without a render.
    const sub = await api(r.url, r.key, 'POST', '/v2/videos/generate', { prompt: 'slow [[sandbox:delay=600]] [[sandbox:fail=upstream_error]]', model: 'hailuo-2.3' });
    assert.equal(sub.status, 202, JSON.stringify(sub.body));
    const job = await waitForJob(r.url, r.key, String(sub.body.jobId), { timeoutMs: 30_000 });
    assert.equal(job.status, 'FAILED', JSON.stringify(job));
    assert.match(JSON.stringify(job), /upstream_error|sandbox test trigger/);
  });
});
