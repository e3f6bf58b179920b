#!/usr/bin/env node
// Runs the compiled server in dist/ when it was built from the sources as they are now (`npm start`
// and `npm test` build it first when stale: scripts/build-server.mjs), else the TypeScript sources
// through tsx, so that nothing ever needs a build step by hand and an old build never runs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtIsCurrent } from '../scripts/source-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (builtIsCurrent(root)) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
