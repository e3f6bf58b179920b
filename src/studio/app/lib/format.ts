const num = new Intl.NumberFormat('en-US');

export function credits(n: number): string {
  return num.format(n);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MB`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", else a date. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return dateTime(iso);
}

export function dateTime(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** Seconds between two instants, for "rendered in 7.2 s". */
export function elapsed(fromIso: string, toIso: string): string {
  const s = (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The prompt of a job's input, or a stand-in for image-only jobs. */
export function promptOf(input: Record<string, unknown>): string {
  const p = input.prompt ?? input.text;
  return typeof p === 'string' && p.trim() ? p : '(no prompt: image only)';
}
