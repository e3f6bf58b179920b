/**
 * Per-frame expressions built once and read two ways: as an ffmpeg expression string (for
 * `perspective`/`crop` options evaluated every frame) and as a JavaScript function of the frame
 * number (to size canvases, and to test the camera path without decoding video). Building both
 * from one tree means the path we test is the path ffmpeg renders.
 */

export interface Expr {
  /** The ffmpeg expression, with `frameVar` standing for the 0-based output frame number. */
  ff(frameVar: string): string;
  /** The same expression evaluated in JavaScript at 0-based frame `n`. */
  at(n: number): number;
  /** Set when the expression does not depend on the frame, so trees can be folded. */
  readonly constant?: number;
}

/** ffmpeg's parser takes plain decimals; six places is finer than any pixel position we need. */
function formatNumber(c: number): string {
  if (!Number.isFinite(c)) throw new RangeError(`non-finite constant in a camera expression: ${c}`);
  const text = Number.isInteger(c) ? String(c) : String(Number(c.toFixed(6)));
  return c < 0 ? `(${text})` : text;
}

export function num(c: number): Expr {
  const text = formatNumber(c);
  return { ff: () => text, at: () => c, constant: c };
}

export const frame: Expr = { ff: (v) => v, at: (n) => n };

function fold(args: readonly Expr[], fn: (...xs: number[]) => number): Expr | undefined {
  return args.every((a) => a.constant !== undefined) ? num(fn(...args.map((a) => a.constant as number))) : undefined;
}

function call(name: string, args: readonly Expr[], fn: (...xs: number[]) => number): Expr {
  return (
    fold(args, fn) ?? {
      ff: (v) => `${name}(${args.map((a) => a.ff(v)).join(',')})`,
      at: (n) => fn(...args.map((a) => a.at(n))),
    }
  );
}

export function add(...terms: Expr[]): Expr {
  const live = terms.filter((t) => t.constant !== 0);
  if (live.length === 0) return num(0);
  if (live.length === 1) return live[0] as Expr;
  return (
    fold(live, (...xs) => xs.reduce((s, x) => s + x, 0)) ?? {
      ff: (v) => `(${live.map((t) => t.ff(v)).join('+')})`,
      at: (n) => live.reduce((s, t) => s + t.at(n), 0),
    }
  );
}

export function mul(...factors: Expr[]): Expr {
  if (factors.some((f) => f.constant === 0)) return num(0);
  const live = factors.filter((f) => f.constant !== 1);
  if (live.length === 0) return num(1);
  if (live.length === 1) return live[0] as Expr;
  return (
    fold(live, (...xs) => xs.reduce((p, x) => p * x, 1)) ?? {
      ff: (v) => `(${live.map((f) => f.ff(v)).join('*')})`,
      at: (n) => live.reduce((p, f) => p * f.at(n), 1),
    }
  );
}

export function sub(a: Expr, b: Expr): Expr {
  if (b.constant === 0) return a;
  return fold([a, b], (x, y) => (x as number) - (y as number)) ?? { ff: (v) => `(${a.ff(v)}-${b.ff(v)})`, at: (n) => a.at(n) - b.at(n) };
}

export function div(a: Expr, b: Expr): Expr {
  if (b.constant === 1) return a;
  return fold([a, b], (x, y) => (x as number) / (y as number)) ?? { ff: (v) => `(${a.ff(v)}/${b.ff(v)})`, at: (n) => a.at(n) / b.at(n) };
}

export const min = (a: Expr, b: Expr): Expr => call('min', [a, b], Math.min);
export const max = (a: Expr, b: Expr): Expr => call('max', [a, b], Math.max);
export const abs = (a: Expr): Expr => call('abs', [a], Math.abs);
export const sin = (a: Expr): Expr => call('sin', [a], Math.sin);
export const floor = (a: Expr): Expr => call('floor', [a], Math.floor);
export const clip = (a: Expr, lo: number, hi: number): Expr =>
  call('clip', [a, num(lo), num(hi)], (x, l, h) => Math.min(Math.max(x as number, l as number), h as number));

/** 3u² − 2u³: eases in and out, so a move starts and ends at rest and joins its neighbours without a jolt. */
export function smoothstep(u: Expr): Expr {
  return mul(u, u, sub(num(3), mul(num(2), u)));
}
export const cos = (a: Expr): Expr => call('cos', [a], Math.cos);
