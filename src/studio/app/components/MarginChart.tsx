/**
 * Revenue against upstream cost per day, as plain SVG: bars for the two sums, a line for the
 * margin. Drawn here rather than with a charting library: one chart does not pay for 100 kB.
 * It is drawn at the width it is shown at (not scaled from a fixed viewBox), so its labels stay
 * readable on a phone.
 */
import { useEffect, useRef, useState, type RefObject } from 'react';

export interface DayPoint {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  revenueUsd: number;
  costUsd: number;
}

const PAD = { top: 16, right: 12, bottom: 36, left: 60 };

/** A tick step of 1, 2 or 5 × 10^n giving at most `count` intervals up to `max`. */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** Dollars as an operator reads them: cents, whole dollars from $1,000, and 4 places under a cent. */
export function usd(x: number): string {
  const abs = Math.abs(x);
  const s = abs >= 1000 ? Math.round(abs).toLocaleString('en-US') : abs === 0 || abs >= 0.01 ? abs.toFixed(2) : abs.toFixed(4);
  return `${x < 0 ? '−' : ''}$${s}`;
}

/** The element's width in CSS pixels, kept current. */
function useWidth<E extends Element>(fallback: number): [RefObject<E | null>, number] {
  const ref = useRef<E | null>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.round(entry.contentRect.width));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

/**
 * @example
 * <MarginChart points={[{ day: '2026-11-28', revenueUsd: 1.44, costUsd: 0.84 }]} />
 */
export function MarginChart({ points }: { points: DayPoint[] }) {
  const [ref, measured] = useWidth<HTMLElement>(760);
  const W = Math.max(280, measured);
  const H = W < 520 ? 220 : 280;
  const margins = points.map((p) => p.revenueUsd - p.costUsd);
  const top = Math.max(0, ...points.flatMap((p) => [p.revenueUsd, p.costUsd]), ...margins);
  const bottom = Math.min(0, ...margins);
  const step = niceStep(top - bottom || 1);
  const yMax = Math.ceil(top / step) * step || step;
  const yMin = Math.floor(bottom / step) * step;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v: number): number => PAD.top + ((yMax - v) / (yMax - yMin)) * plotH;
  const slot = plotW / Math.max(1, points.length);
  const barW = Math.max(2, Math.min(28, slot * 0.32));
  const cx = (i: number): number => PAD.left + slot * (i + 0.5);
  const ticks: number[] = [];
  for (let v = yMin; v <= yMax + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  // A date label needs about 44 px: skip days so that they never overlap.
  const every = Math.max(1, Math.ceil(points.length / Math.max(1, Math.floor(plotW / 44))));
  const line = points.map((_, i) => `${i === 0 ? 'M' : 'L'}${cx(i).toFixed(1)},${y(margins[i]!).toFixed(1)}`).join(' ');
  const total = points.reduce((a, p) => ({ r: a.r + p.revenueUsd, c: a.c + p.costUsd }), { r: 0, c: 0 });

  return (
    <figure className="chart" ref={ref}>
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="margin-chart-title margin-chart-desc" className="chart-svg" data-chart="margins">
        <title id="margin-chart-title">Revenue and upstream cost per day</title>
        <desc id="margin-chart-desc">
          {points.length} days: revenue {usd(total.r)}, upstream cost {usd(total.c)}, margin {usd(total.r - total.c)}.
        </desc>
        <g className="chart-grid">
          {ticks.map((v) => (
            <g key={v}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className={v === 0 ? 'axis' : undefined} />
              <text x={PAD.left - 8} y={y(v)} dy="0.32em" textAnchor="end">
                {usd(v)}
              </text>
            </g>
          ))}
        </g>
        {points.map((p, i) => (
          <g key={p.day} data-day={p.day}>
            <rect className="bar-revenue" x={cx(i) - barW - 1} y={y(p.revenueUsd)} width={barW} height={Math.max(0, y(0) - y(p.revenueUsd))}>
              <title>{`${p.day} revenue ${usd(p.revenueUsd)}`}</title>
            </rect>
            <rect className="bar-cost" x={cx(i) + 1} y={y(p.costUsd)} width={barW} height={Math.max(0, y(0) - y(p.costUsd))}>
              <title>{`${p.day} upstream cost ${usd(p.costUsd)}`}</title>
            </rect>
            {i % every === 0 ? (
              <text className="chart-x" x={cx(i)} y={H - PAD.bottom + 18} textAnchor="middle">
                {p.day.slice(5)}
              </text>
            ) : null}
          </g>
        ))}
        {points.length > 0 ? <path className="line-margin" d={line} fill="none" /> : null}
        {points.map((p, i) => (
          <circle key={p.day} className="dot-margin" cx={cx(i)} cy={y(margins[i]!)} r={3.5}>
            <title>{`${p.day} margin ${usd(margins[i]!)}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="chart-legend">
        <span className="key key-revenue">Revenue</span>
        <span className="key key-cost">Upstream cost</span>
        <span className="key key-margin">Margin</span>
      </figcaption>
    </figure>
  );
}
