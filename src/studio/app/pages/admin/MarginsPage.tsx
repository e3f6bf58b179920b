import { useState } from 'react';
import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import type { MarginReport } from '../../lib/types.js';
import { credits } from '../../lib/format.js';
import { EmptyState, ErrorBanner, Loading } from '../../components/Feedback.js';
import { Segmented } from '../../components/Segmented.js';
import { engineLabel } from '../../components/StatusBadge.js';
import { MarginChart, usd, type DayPoint } from '../../components/MarginChart.js';

const SINCE = ['24h', '7d', '30d'] as const;
type Since = (typeof SINCE)[number];

/** Every UTC day from `since` to today, so that a day without sales shows as a gap, not as nothing. */
export function daysFrom(sinceIso: string, now = Date.now()): string[] {
  const out: string[] = [];
  const d = new Date(sinceIso);
  d.setUTCHours(0, 0, 0, 0);
  for (; d.getTime() <= now && out.length < 400; d.setUTCDate(d.getUTCDate() + 1)) out.push(d.toISOString().slice(0, 10));
  return out;
}

function perDay(report: MarginReport): DayPoint[] {
  const byDay = new Map(daysFrom(report.since).map((day) => [day, { day, revenueUsd: 0, costUsd: 0 }]));
  for (const r of report.rows) {
    const p = byDay.get(r.day) ?? { day: r.day, revenueUsd: 0, costUsd: 0 };
    p.revenueUsd += r.revenueUsd;
    p.costUsd += r.costUsd;
    byDay.set(r.day, p);
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}

const ratio = (x: number | null): string => (x === null ? '—' : `${x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)}%`);

/** Margins: what live videos earned against what the upstreams charged, per day, model and provider. */
export function MarginsPage() {
  const { api } = useSession();
  const [since, setSince] = useState<Since>('7d');
  const report = useResource((s) => api.get<MarginReport>(`/admin/reports/margins?since=${since}`, s), [api, since]);
  const d = report.data;
  return (
    <>
      <div className="page-head row">
        <div>
          <h1>Margins</h1>
          <p className="muted">Completed live jobs: credits charged × USD per credit, against the upstream’s cost. Test jobs earn and cost nothing.</p>
        </div>
        <Segmented<Since> name="since" legend="Period" value={since} onChange={setSince} options={SINCE.map((v) => ({ value: v, label: `Last ${v}` }))} />
      </div>
      {!d ? (
        report.error ? <ErrorBanner error={report.error} /> : <Loading what="margins" />
      ) : (
        <>
          <ErrorBanner error={report.error} title="Could not refresh." />
          <div className="stat-row" aria-label="Totals">
            <div className="stat">
              <span className="muted small">Revenue</span>
              <strong data-total="revenue">{usd(d.totals.revenueUsd)}</strong>
            </div>
            <div className="stat">
              <span className="muted small">Upstream cost</span>
              <strong data-total="cost">{usd(d.totals.costUsd)}</strong>
            </div>
            <div className="stat">
              <span className="muted small">Margin</span>
              <strong data-total="margin" className={d.totals.marginUsd < 0 ? 'negative' : undefined}>
                {usd(d.totals.marginUsd)} <span className="small">({ratio(d.totals.marginRatio)})</span>
              </strong>
            </div>
            <div className="stat">
              <span className="muted small">Videos</span>
              <strong>{credits(d.totals.jobs)}</strong>
            </div>
          </div>
          <section className="card" aria-labelledby="chart-title">
            <h2 className="card-title" id="chart-title">
              Per day <span className="muted small">(UTC, at ${d.usdPerCredit} per credit)</span>
            </h2>
            <MarginChart points={perDay(d)} />
          </section>
          <section className="card flush" aria-labelledby="margin-table-title">
            <h2 className="card-title pad" id="margin-table-title">
              By day, model and provider
            </h2>
            {d.rows.length === 0 ? (
              <EmptyState title="No completed live jobs in this period." />
            ) : (
              <div className="table-scroll">
                <table className="table margins-table">
                  <thead>
                    <tr>
                      <th scope="col">Day</th>
                      <th scope="col">Model</th>
                      <th scope="col">Provider</th>
                      <th scope="col" className="num">Videos</th>
                      <th scope="col" className="num">Revenue</th>
                      <th scope="col" className="num">Cost</th>
                      <th scope="col" className="num">Margin</th>
                      <th scope="col" className="num">Margin %</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.rows.map((r) => (
                      <tr key={`${r.day}-${r.model}-${r.provider}`} data-day={r.day} data-model={r.model} data-provider={r.provider}>
                        <td>{r.day}</td>
                        <td>
                          <code>{r.model}</code>
                        </td>
                        <td>{engineLabel(r.provider)}</td>
                        <td className="num">{r.jobs}</td>
                        <td className="num">{usd(r.revenueUsd)}</td>
                        <td className="num" title={r.uncosted ? `${r.uncosted} job(s) without a cost in the provider's table` : undefined}>
                          {usd(r.costUsd)}
                          {r.uncosted ? ' *' : ''}
                        </td>
                        <td className={`num${r.marginUsd < 0 ? ' negative' : ''}`}>{usd(r.marginUsd)}</td>
                        <td className={`num${r.marginRatio !== null && r.marginRatio < 0 ? ' negative' : ''}`} data-cell="margin-ratio">
                          {ratio(r.marginRatio)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {d.totals.uncosted ? <p className="muted small pad">* Some jobs had no cost in their provider’s table: their cost is missing.</p> : null}
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}
