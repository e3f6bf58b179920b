#!/usr/bin/env node
// Transpiles the server (src/, without the Studio app) into dist/ with esbuild, file by file (no
// bundling, so every import.meta.url keeps its depth), and stamps it with what it was built from.
// Usage: node scripts/build-server.mjs [--if-stale]
//   --if-stale  do nothing when dist/ was built from the sources as they are now (prestart, pretest)
//
// Why: `reelay serve` from compiled JavaScript idles at ~95 MB on PostgreSQL against ~175 MB through
// tsx, whose loader keeps a second V8 isolate and every transformed module (docs/performance.md).
// Types are not checked here (`npm run typecheck` does that); esbuild only strips them, exactly as
// tsx does when running the sources.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { builtIsCurrent, serverSources, sourceStamp } from './source-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--if-stale') && builtIsCurrent(root)) process.exit(0);

const stamp = sourceStamp(root);
const sources = serverSources(root);
const entryPoints = sources.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('vite.config.ts'));
// A private folder per build, moved into place only when complete: two builds at once (npm test
// beside npm start) each finish whole, and a reader never sees half a build under a current stamp.
const tmp = join(root, `dist.tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
try {
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir: tmp,
    outbase: 'src',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, '.source-stamp'), `${stamp}\n`);
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  renameSync(tmp, join(root, 'dist'));
} catch (err) {
  rmSync(tmp, { recursive: true, force: true });
  // Another build won the rename: its stamp is as good as ours.
  if (err && typeof err === 'object' && 'code' in err && (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') && builtIsCurrent(root)) process.exit(0);
  throw err;
}
