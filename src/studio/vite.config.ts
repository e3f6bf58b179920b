/**
 * Vite config for the Studio. `node scripts/build-studio.mjs` builds `app/` into `dist/`, which
 * Reelay serves at `/studio/`. For UI work, `npx vite -c src/studio/vite.config.ts` serves the
 * app with hot reload and forwards the API to a Reelay on :8080 (`REELAY_URL` to change it).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
// Read here, not through config.ts: this file runs only in Vite's own process (dev and build).
const target = process.env.REELAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: here('./app/'),
  base: '/studio/',
  publicDir: here('./app/public/'),
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('./dist/'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small app: a single chunk keeps the page to three requests.
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: Object.fromEntries(['/v2', '/admin', '/files', '/healthz'].map((p) => [p, { target, changeOrigin: false }])),
  },
});
