import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script shared with bin/reelay.js, without type declarations
import { builtIsCurrent, sourceStamp } from '../../scripts/source-stamp.mjs';

const current = builtIsCurrent as (root: string) => boolean;
const stamp = sourceStamp as (root: string) => string;

test('bin/reelay.js runs dist/ only while it matches the sources: an edit, a new file, a missing stamp, another esbuild or build script falls back to them', async () => {
  const root = await mkdtemp(join(tmpdir(), 'reelay-stamp-'));
  try {
    await mkdir(join(root, 'src', 'jobs'), { recursive: true });
    await mkdir(join(root, 'src', 'studio', 'app'), { recursive: true });
    await mkdir(join(root, 'dist'), { recursive: true });
    await mkdir(join(root, 'scripts'), { recursive: true });
    await mkdir(join(root, 'node_modules', 'esbuild'), { recursive: true });
    await writeFile(join(root, 'scripts', 'build-server.mjs'), '// build\n');
    await writeFile(join(root, 'node_modules', 'esbuild', 'package.json'), '{"version":"0.25.0"}\n');
    await writeFile(join(root, 'src', 'jobs', 'a.ts'), 'export const a = 1;\n');
    await writeFile(join(root, 'src', 'studio', 'app', 'App.tsx'), 'export {};\n');
    assert.equal(current(root), false, 'no stamp: never built');

    await writeFile(join(root, 'dist', '.source-stamp'), `${stamp(root)}\n`);
    assert.equal(current(root), true);

    // The Studio's app is built separately (scripts/build-studio.mjs): not a server source.
    await writeFile(join(root, 'src', 'studio', 'app', 'App.tsx'), 'export const changed = true;\n');
    assert.equal(current(root), true);

    // Same size, another time (a checkout or an edit that keeps the length).
    await utimes(join(root, 'src', 'jobs', 'a.ts'), new Date(), new Date(Date.now() + 5_000));
    assert.equal(current(root), false, 'an edit makes the build stale');
    await writeFile(join(root, 'dist', '.source-stamp'), `${stamp(root)}\n`);
    assert.equal(current(root), true);

    await writeFile(join(root, 'src', 'db-new.sql'), 'select 1;\n');
    assert.equal(current(root), false, 'a new file makes the build stale');
    await writeFile(join(root, 'dist', '.source-stamp'), `${stamp(root)}\n`);

    await writeFile(join(root, 'node_modules', 'esbuild', 'package.json'), '{"version":"0.25.1"}\n');
    assert.equal(current(root), false, 'another esbuild makes the build stale');
    await writeFile(join(root, 'dist', '.source-stamp'), `${stamp(root)}\n`);
    await writeFile(join(root, 'scripts', 'build-server.mjs'), '// build, changed\n');
    assert.equal(current(root), false, 'a changed build script makes the build stale');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
