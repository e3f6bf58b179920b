import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import type { ProviderStats, ProvidersReport } from '../../lib/types.js';
import { dateTime } from '../../lib/format.js';
import { EmptyState, ErrorBanner, Loading } from '../../components/Feedback.js';
import { Pill, engineLabel } from '../../components/StatusBadge.js';

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(x === 1 ? 0 : 1)}%`);

/** 840 → "840 ms", 95_000 → "1 min 35 s": accept times are short, generation times long. */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${(ms / 1000).toFixed(s < 10 ? 1 : 0)} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function rateTone(x: number | null): 'neutral' | 'ok' | 'warn' | 'danger' {
  if (x === null) return 'neutral';
  return x >= 0.95 ? 'ok' : x >= 0.8 ? 'warn' : 'danger';
}

function Errors({ errors }: { errors: Record<string, number> }) {
  const list = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  if (list.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="error-classes">
      {list.map(([cls, n]) => (
        <li key={cls}>
          <code>{cls}</code> ×{n}
        </li>
      ))}
    </ul>
  );
}

function Health({ stats }: { stats: ProviderStats[] }) {
  // One row per provider and model, the two windows side by side.
  const keys = [...new Set(stats.map((s) => `${s.provider}\u0000${s.model}`))].sort();
  const at = (key: string, w: '1h' | '24h') => stats.find((s) => `${s.provider}\u0000${s.model}` === key && s.window === w);
  if (keys.length === 0) return <EmptyState title="No live traffic measured yet.">Health appears here once live jobs reach an upstream.</EmptyState>;
  return (
    <div className="table-scroll">
      <table className="table health-table">
        <caption className="sr-only">Health per provider and model over the last hour and day</caption>
        <thead>
          <tr>
            <th scope="col" rowSpan={2}>
              Provider · model
            </th>
            <th scope="col" rowSpan={2}>
              Window
            </th>
            <th scope="col" className="num" rowSpan={2}>
              Tasks
            </th>
            <th scope="col" className="num" rowSpan={2}>
              Success
            </th>
            <th scope="colgroup" colSpan={2} className="num">
              Time to accept
            </th>
            <th scope="colgroup" colSpan={2} className="num">
              Generation time
            </th>
            <th scope="col" rowSpan={2}>
              Errors
            </th>
          </tr>
          <tr>
            <th scope="col" className="num">p50</th>
            <th scope="col" className="num">p95</th>
            <th scope="col" className="num">p50</th>
            <th scope="col" className="num">p95</th>
          </tr>
        </thead>
        <tbody>
          {keys.flatMap((key) =>
            (['1h', '24h'] as const).map((w, i) => {
              const s = at(key, w);
              const [provider, model] = key.split('\u0000') as [string, string];
              return (
                <tr key={`${key}-${w}`} data-provider={provider} data-model={model} data-window={w} className={i === 0 ? 'group-start' : undefined}>
                  {i === 0 ? (
                    <th scope="rowgroup" rowSpan={2}>
                      {engineLabel(provider)} <span className="muted small">· {model}</span>
                    </th>
                  ) : null}
                  <td>{w}</td>
                  <td className="num">{s ? s.submits : 0}</td>
                  <td className="num" data-cell="success">
                    {s?.successRate === null || !s ? <span className="muted">—</span> : <Pill tone={rateTone(s.successRate)}>{pct(s.successRate)}</Pill>}
                  </td>
                  <td className="num">{duration(s?.acceptMsP50 ?? null)}</td>
                  <td className="num">{duration(s?.acceptMsP95 ?? null)}</td>
                  <td className="num">{duration(s?.generationMsP50 ?? null)}</td>
                  <td className="num">{duration(s?.generationMsP95 ?? null)}</td>
                  <td>
                    <Errors errors={s?.errors ?? {}} />
                  </td>
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Providers: which upstreams are configured, which rest and why, each model's route, and health. */
export function ProvidersPage() {
  const { api } = useSession();
  // Health moves slowly and the operator watches it during an incident: a minute is fresh enough.
  const report = useResource((s) => api.get<ProvidersReport>('/admin/providers', s), [api], () => 60_000);
  const d = report.data;
  return (
    <>
      <div className="page-head">
        <h1>Providers</h1>
        <p className="muted">Where live jobs go, in route order, and how each upstream has behaved over the last hour and day.</p>
      </div>
      <ErrorBanner error={d ? report.error : null} title="Could not refresh." />
      {!d ? (
        report.error ? <ErrorBanner error={report.error} /> : <Loading what="providers" />
      ) : (
        <>
          <section className="card" aria-labelledby="providers-title">
            <h2 className="card-title" id="providers-title">
              Providers
            </h2>
            {d.providers.length === 0 ? (
              <p className="muted">No provider is configured.</p>
            ) : (
              <ul className="provider-list">
                {d.providers.map((p) => (
                  <li key={p.name} data-provider={p.name}>
                    <strong>{engineLabel(p.name)}</strong> <span className="muted small">{p.kind === 'inline' ? 'renders test-key jobs on this server' : 'remote API'}</span>{' '}
                    {p.resting ? (
                      <>
                        <Pill tone="danger">Resting</Pill>{' '}
                        <span className="small">
                          {p.resting.reason} — until {dateTime(p.resting.until)}
                        </span>
                      </>
                    ) : (
                      <Pill tone="ok">Available</Pill>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="card" aria-labelledby="routes-title">
            <h2 className="card-title" id="routes-title">
              Routes
            </h2>
            <p className="muted small">A live job tries the first tier first; providers in one tier share its jobs by weight.</p>
            <table className="table routes-table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Route</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(d.routes).map(([model, tiers]) => (
                  <tr key={model} data-model={model}>
                    <td>
                      <code>{model}</code>
                    </td>
                    <td>
                      {tiers.length === 0 ? (
                        <span className="muted">no live provider</span>
                      ) : (
                        <ol className="route">
                          {tiers.map((tier, i) => (
                            <li key={i}>{tier.map((m) => `${engineLabel(m.name)}${tier.length > 1 ? ` (${m.weight})` : ''}`).join(' + ')}</li>
                          ))}
                        </ol>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="card flush" aria-labelledby="health-title">
            <h2 className="card-title pad" id="health-title">
              Health
            </h2>
            <Health stats={d.stats} />
          </section>
        </>
      )}
    </>
  );
}
