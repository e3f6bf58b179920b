// What the server's compiled copy in dist/ was built from: a hash of every server source's path,
// size and modification time (src/, without the Studio's app and build), of the build script and
// of esbuild's version. scripts/build-server.mjs
// writes it to dist/.source-stamp; bin/reelay.js runs dist/ only when it still matches, so an edit,
// a pull or a checkout can never leave an old build running (it falls back to the sources).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Folders under src/ that are not server code. */
const NOT_SERVER = [join('src', 'studio', 'app'), join('src', 'studio', 'dist'), join('src', 'studio', '.build-lock')];

export function serverSources(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(root, path);
      if (entry.isDirectory()) {
        if (!NOT_SERVER.includes(rel) && !entry.name.startsWith('dist.tmp-')) walk(path);
      } else if (entry.isFile()) {
        out.push(rel);
      }
    }
  };
  walk(join(root, 'src'));
  return out.sort();
}

export function sourceStamp(root) {
  const hash = createHash('sha256');
  // How it is built counts as much as what: a changed build script or esbuild makes a new build.
  hash.update(readFileSync(join(root, 'scripts', 'build-server.mjs')));
  hash.update(esbuildVersion(root));
  for (const rel of serverSources(root)) {
    const s = statSync(join(root, rel));
    hash.update(`${rel.split(sep).join('/')}\t${s.size}\t${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function esbuildVersion(root) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
  } catch {
    return 'no esbuild';
  }
}

/** True when dist/ holds a complete build of the sources as they are now. */
export function builtIsCurrent(root) {
  let built;
  try {
    built = readFileSync(join(root, 'dist', '.source-stamp'), 'utf8').trim();
  } catch {
    return false;
  }
  return built === sourceStamp(root);
}
