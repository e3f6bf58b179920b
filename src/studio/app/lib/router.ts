import { useSyncExternalStore } from 'react';

/** The app is served under /studio; routes are the part after it ("/jobs/…"). */
export const BASE = '/studio';
const EVENT = 'studio:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(EVENT, cb);
  };
}

function current(): string {
  const p = window.location.pathname;
  const rest = p.startsWith(BASE) ? p.slice(BASE.length) : p;
  return rest === '' ? '/' : rest;
}

/** The current route ("/", "/jobs", "/jobs/<id>"), re-rendering on navigation. */
export function useRoute(): string {
  return useSyncExternalStore(subscribe, current);
}

export function href(route: string): string {
  return BASE + route;
}

export function navigate(route: string, opts: { replace?: boolean } = {}): void {
  if (route === current()) return;
  if (opts.replace) window.history.replaceState(null, '', href(route));
  else window.history.pushState(null, '', href(route));
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(EVENT));
}

/** `/jobs/:id` → { id } when `route` matches `pattern`, else null. */
export function match(pattern: string, route: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = route.replace(/\/+$/, '').split('/');
  if (a.length !== b.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const v = b[i]!;
    if (p.startsWith(':')) {
      if (!v) return null;
      out[p.slice(1)] = decodeURIComponent(v);
    } else if (p !== v) return null;
  }
  return out;
}
