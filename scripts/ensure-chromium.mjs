#!/usr/bin/env node
// Before `npm test`: the Studio's browser tests drive Debian's Chromium (/usr/bin/chromium) through
// playwright-core, never a downloaded browser. When it is missing and this is root on Debian, it is
// installed with apt-get, so that `npm install && npm test` on a fresh machine runs every test with
// nothing installed by hand. Otherwise (not root, no apt-get, or REELAY_NO_APT=1) it says how; the
// browser tests then skip with that message (and fail under CI=true).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
const HOW = 'apt-get update && apt-get install -y chromium';

if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!root || !apt || process.env.REELAY_NO_APT === '1') {
    const why = process.env.REELAY_NO_APT === '1' ? 'REELAY_NO_APT=1' : !apt ? 'no apt-get here' : 'not root';
    console.warn(`Chromium is not at ${CHROMIUM} (${why}): the Studio's browser tests will skip. Install it with: ${HOW}`);
  } else {
    console.log(`Installing Debian's chromium for the Studio's browser tests (${HOW}; REELAY_NO_APT=1 skips this)`);
    const res = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq chromium >/dev/null'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 15 * 60_000,
    });
    if (res.status !== 0 || !existsSync(CHROMIUM)) console.warn(`Installing chromium failed (exit ${res.status ?? res.signal}); the browser tests will skip. Try: ${HOW}`);
  }
}
