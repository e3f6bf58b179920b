#!/usr/bin/env node
// Builds the Studio (src/studio/app, Vite + React) into src/studio/dist, which Reelay serves at /studio.
// Usage: node scripts/build-studio.mjs [--if-stale]
//   --if-stale  do nothing when dist/index.html is newer than every source (prestart, pretest)
// Concurrent runs (two test files, `npm test` beside `npm start`) take turns through a lock
// directory; the build goes to a temporary folder that replaces dist/ only once it is complete.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const studio = join(root, 'src', 'studio');
const dist = join(studio, 'dist');
const lock = join(studio, '.build-lock');
const ifStale = process.argv.includes('--if-stale');

async function newestMtime(path) {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, name)));
  return newest;
}

async function isStale() {
  const built = await stat(join(dist, 'index.html')).catch(() => null);
  if (!built) return true;
  const sources = await Promise.all(
    [join(studio, 'app'), join(studio, 'vite.config.ts'), join(root, 'package-lock.json')].map(newestMtime),
  );
  return Math.max(...sources) > built.mtimeMs;
}

async function takeLock() {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const s = await stat(lock).catch(() => null);
      // A lock older than two minutes belongs to a build that died.
      if (s && Date.now() - s.mtimeMs > 120_000) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another Studio build holds ${lock}; remove it if none is running`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function build() {
  const { build: viteBuild } = await import('vite');
  const tmp = `${dist}.tmp-${process.pid}`;
  const started = Date.now();
  await viteBuild({ configFile: join(studio, 'vite.config.ts'), build: { outDir: tmp, emptyOutDir: true } });
  await rm(dist, { recursive: true, force: true });
  await rename(tmp, dist);
  console.log(`Studio built in ${Date.now() - started} ms → ${dist}`);
}

if (ifStale && !(await isStale())) process.exit(0);
await takeLock();
try {
  // Someone else may have built it while we waited for the lock.
  if (!ifStale || (await isStale())) await build();
} finally {
  await rm(lock, { recursive: true, force: true });
}
