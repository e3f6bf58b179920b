/**
 * The claim/idle loop the worker and the webhook dispatcher share (src/lease-loop.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseLoop } from '../../src/lease-loop.js';
import { silentLogger } from '../../src/log.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

test('a nudge that arrives while the due-time query runs is not lost (the dispatcher waited out its idle timer)', async () => {
  let claims = 0;
  let releaseQuery: () => void = () => {};
  let queryStarted: () => void = () => {};
  const started = new Promise<void>((res) => (queryStarted = res));
  const loop = new LeaseLoop({
    name: 'test',
    log: silentLogger,
    idlePollMs: 60_000,
    claim: async () => {
      claims++;
      return 0;
    },
    nextDueAt: async () => {
      if (claims === 1) {
        queryStarted();
        await new Promise<void>((res) => (releaseQuery = res));
      }
      return null; // "nothing due": only the nudge can bring the next claim before 60 s
    },
  });
  loop.start();
  await started;
  loop.wake();
  releaseQuery();
  const t0 = Date.now();
  while (claims < 2 && Date.now() - t0 < 5000) await sleep(10);
  await loop.stop();
  assert.equal(claims >= 2, true, `claims: ${claims} (the nudge during the due-time query was lost)`);
});

test('a nudge that arrives during a claim that found nothing makes the loop claim again at once', async () => {
  let claims = 0;
  const loop: LeaseLoop = new LeaseLoop({
    name: 'test',
    log: silentLogger,
    idlePollMs: 60_000,
    claim: async () => {
      claims++;
      if (claims === 1) loop.wake(); // the submit commits while our claim query runs
      return 0;
    },
    nextDueAt: async () => null,
  });
  loop.start();
  const t0 = Date.now();
  while (claims < 2 && Date.now() - t0 < 5000) await sleep(10);
  await loop.stop();
  assert.equal(claims >= 2, true);
});

test('"due now" that the claim cannot take backs off instead of spinning every 5 ms', async () => {
  let claims = 0;
  const loop = new LeaseLoop({
    name: 'test',
    log: silentLogger,
    idlePollMs: 1000,
    claim: async () => {
      claims++;
      return 0;
    },
    nextDueAt: async () => new Date(Date.now() - 1000),
  });
  loop.start();
  await sleep(1500);
  await loop.stop();
  // Spinning every 5 ms is ~300 claims; backing off 5, 10, 20 … 1000 ms is about 10.
  assert.ok(claims < 30, `${claims} claims in 1.5 s`);
  assert.ok(claims >= 3, `${claims} claims: the loop still looks again`);
});

test('a claim that throws is logged and the loop goes on', async () => {
  let claims = 0;
  const errors: string[] = [];
  const loop = new LeaseLoop({
    name: 'test',
    log: { ...silentLogger, error: (_o: object, msg?: string) => errors.push(msg ?? '') },
    idlePollMs: 20,
    claim: async () => {
      claims++;
      if (claims === 1) throw new Error('database down');
      return 0;
    },
    nextDueAt: async () => null,
  });
  loop.start();
  const t0 = Date.now();
  while (claims < 3 && Date.now() - t0 < 5000) await sleep(10);
  await loop.stop();
  assert.ok(claims >= 3);
  assert.deepEqual(errors, ['test loop error']);
});
