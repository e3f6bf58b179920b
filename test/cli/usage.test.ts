/**
 * How every `reelay` command treats its arguments: `node:util` `parseArgs` in strict mode, so a
 * mistake is a usage error (exit 2) before anything is sent or opened.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startReelay, type TestReelay } from '../support/reelay.js';
import { parseBenchArgs } from '../../bench/args.js';
import { runCli } from './run-cli.js';

let r: TestReelay;
let env: Record<string, string>;

before(async () => {
  r = await startReelay();
  env = { REELAY_URL: r.url, REELAY_API_KEY: r.key };
});
after(async () => {
  await r.stop();
});

async function jobCount(): Promise<number> {
  return ((await api(r.url, r.key, 'GET', '/v2/jobs?limit=100')).body.jobs as unknown[]).length;
}

test('regression: `reelay generate --durration 6` submitted and charged a default job; now exit 2 naming the flag, nothing submitted', async () => {
  const jobs = await jobCount();
  const me = (await api(r.url, r.key, 'GET', '/v2/me')).body.credits;
  const res = await runCli(['generate', 'a castle', '--durration', '6', '--no-wait'], env);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /unknown option --durration \(did you mean --duration\?\); see: reelay help generate/);
  assert.equal(res.stdout, '');
  assert.equal(await jobCount(), jobs, 'no job was submitted');
  assert.deepEqual((await api(r.url, r.key, 'GET', '/v2/me')).body.credits, me, 'nothing was charged');
});

test('every command is strict: unknown options, missing values and values given to switches are usage errors (exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['jobs', 'list', '--limt', '5'], /reelay jobs: unknown option --limt \(did you mean --limit\?\); see: reelay help jobs/],
    [['keys', 'list', 'default', '--mod', 'live'], /reelay keys: unknown option --mod \(did you mean --mode\?\); see: reelay help keys/],
    [['serve', '--rol', 'api'], /reelay serve: unknown option --rol/],
    [['serve', '--role', 'both'], /--role must be all, api or worker/],
    [['generate', 'x', '--duration'], /reelay generate: .*--duration.*argument missing.*see: reelay help generate/],
    [['jobs', 'list', '--json=yes'], /reelay jobs: .*--json.*does not take an argument/],
    [['bench-me'], /unknown command "bench-me"; try: reelay help/],
  ];
  for (const [args, message] of cases) {
    const res = await runCli(args, env);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message, args.join(' '));
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('`reelay help` documents exit code 2 for usage errors and 130 for Ctrl-C; per-command help exits 0', async () => {
  const help = await runCli(['help'], env);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /2 bad usage \(unknown option, missing argument\)/);
  assert.match(help.stdout, /130 interrupted \(Ctrl-C\)/);
  for (const cmd of ['generate', 'jobs', 'accounts', 'keys', 'credits', 'ledger', 'plans', 'grants', 'serve', 'migrate']) assert.match(help.stdout, new RegExp(`^  ${cmd}`, 'm'));
  const gen = await runCli(['generate', '--help'], env);
  assert.equal(gen.code, 0);
  assert.match(gen.stdout, /--duration 6\|10/);
  assert.doesNotMatch(gen.stdout, /^ {2}keys/m, 'only the command asked about');
  assert.equal((await runCli(['help', 'keys'], env)).code, 0);
  assert.equal((await runCli(['help', 'nope'], env)).code, 2);
});

test('npm run bench arguments are strict too', () => {
  const sections = ['http', 'render'] as const;
  assert.deepEqual(parseBenchArgs([], sections), { only: new Set(sections), quick: false });
  assert.deepEqual(parseBenchArgs(['--only', 'render', '--quick'], sections), { only: new Set(['render']), quick: true });
  assert.throws(() => parseBenchArgs(['--quik'], sections), /Unknown option '--quik'.*usage: npm run bench/);
  assert.throws(() => parseBenchArgs(['--only', 'htp'], sections), /unknown section "htp"/);
  assert.throws(() => parseBenchArgs(['render'], sections), /positional/);
});
