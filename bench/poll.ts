/**
 * The poll case alone, for before/after comparisons: `GET /v2/jobs/{id}` with one key against a
 * bare Fastify `GET /hello`, in the same run (the same cases as `npm run bench -- --only http`,
 * without the submit and pgbench cases).
 *
 *   npx tsx bench/poll.ts [--db pglite|postgres|both] [--seconds 10]
 */
import { load, postgresReachable, sleep, spawnBaseline, spawnReelay, type LoadSettings } from './common.js';
import { prepareReelay, SUBMIT_BODY } from './http.js';

async function pollCase(kind: 'pglite' | 'postgres', s: LoadSettings): Promise<Record<string, unknown>> {
  const prep = await prepareReelay(kind);
  try {
    const child = await spawnReelay(prep.env);
    try {
      const res = await fetch(`${child.url}/v2/videos/generate`, { method: 'POST', headers: { 'x-api-key': prep.key, 'content-type': 'application/json' }, body: SUBMIT_BODY });
      const { jobId } = (await res.json()) as { jobId: string };
      await sleep(500);
      const r = await load({ url: `${child.url}/v2/jobs/${jobId}`, headers: { 'x-api-key': prep.key }, serverPid: child.pid }, s);
      return { database: kind, ...r };
    } finally {
      await child.stop();
    }
  } finally {
    await prep.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const seconds = Number(arg('seconds') ?? 10);
  const s: LoadSettings = { connections: 10, durationSeconds: seconds, warmupSeconds: 2 };
  const which = arg('db') ?? 'both';
  const hello = await spawnBaseline(['hello']);
  try {
    const base = await load({ url: `${hello.url}/hello`, serverPid: hello.pid }, s);
    console.log(JSON.stringify({ baseline: 'bare Fastify GET /hello', ...base }));
    for (const kind of which === 'both' ? (['pglite', 'postgres'] as const) : [which as 'pglite' | 'postgres']) {
      if (kind === 'postgres' && !(await postgresReachable())) continue;
      const r = await pollCase(kind, s);
      console.log(JSON.stringify({ ...r, ratio: Math.round(((r.rps as number) / base.rps) * 1000) / 1000 }));
    }
  } finally {
    await hello.stop();
  }
}
