import { useState } from 'react';
import type { Api, ApiError } from '../lib/api.js';
import { toApiError } from '../lib/api.js';
import { useResource } from '../lib/resource.js';
import type { LedgerEntry, LedgerPage } from '../lib/types.js';
import { credits, dateTime } from '../lib/format.js';
import { EmptyState, ErrorBanner, Loading } from './Feedback.js';
import { Link } from './Shell.js';
import { Pill } from './StatusBadge.js';

const PAGE = 25;

export interface LedgerState {
  entries: LedgerEntry[];
  loading: boolean;
  error: ApiError | null;
  hasMore: boolean;
  more(): Promise<void>;
  reload(): void;
}

/** A ledger endpoint (`/v2/ledger` or `/admin/accounts/:id/ledger`), paged with `before`. */
export function useLedger(api: Api, path: string): LedgerState {
  const first = useResource((s) => api.get<LedgerPage>(`${path}?limit=${PAGE}`, s), [api, path]);
  const [older, setOlder] = useState<LedgerPage | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const next = older ? older.nextBefore : (first.data?.nextBefore ?? null);
  return {
    entries: [...(first.data?.entries ?? []), ...(older?.entries ?? [])],
    loading: first.loading,
    error: first.error ?? error,
    hasMore: next !== null,
    async more() {
      if (next === null) return;
      try {
        const page = await api.get<LedgerPage>(`${path}?limit=${PAGE}&before=${next}`);
        setOlder((o) => ({ entries: [...(o?.entries ?? []), ...page.entries], nextBefore: page.nextBefore }));
      } catch (err) {
        setError(toApiError(err));
      }
    },
    reload() {
      setOlder(null);
      first.reload();
    },
  };
}

/** How a movement changes the available balance: + into it, − out of it, ± otherwise. */
function signed(e: LedgerEntry): { text: string; tone: 'in' | 'out' | 'moved' } {
  if (e.to === 'available') return { text: `+${credits(e.amount)}`, tone: 'in' };
  if (e.from === 'available') return { text: `−${credits(e.amount)}`, tone: 'out' };
  return { text: credits(e.amount), tone: 'moved' };
}

export function LedgerTable({ ledger, jobLinks = false }: { ledger: LedgerState; jobLinks?: boolean }) {
  if (ledger.loading && !ledger.entries.length) return <Loading what="the ledger" />;
  if (!ledger.entries.length) return ledger.error ? <ErrorBanner error={ledger.error} /> : <EmptyState title="No credit movements yet." />;
  return (
    <>
      <div className="table-scroll">
        <table className="table ledger-table">
          <caption className="sr-only">Credit movements, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Credits
              </th>
              <th scope="col">Movement</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {ledger.entries.map((e) => {
              const s = signed(e);
              return (
                <tr key={e.id}>
                  <td data-label="When">{dateTime(e.createdAt)}</td>
                  <td data-label="Kind">
                    <Pill tone={e.mode === 'live' ? 'ok' : 'neutral'}>{`${e.kind} · ${e.mode}`}</Pill>
                  </td>
                  <td data-label="Credits" className={`num amount-${s.tone}`}>
                    {s.text}
                  </td>
                  <td data-label="Movement" className="muted small">
                    {e.from} → {e.to}
                  </td>
                  <td data-label="Reason">
                    {e.reason}
                    {e.jobId && jobLinks ? (
                      <>
                        {' '}
                        <Link to={`/jobs/${e.jobId}`}>job {e.jobId.slice(0, 8)}</Link>
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <ErrorBanner error={ledger.error} />
      {ledger.hasMore ? (
        <div className="center">
          <button type="button" className="btn btn-small" onClick={() => void ledger.more()}>
            Load older entries
          </button>
        </div>
      ) : null}
    </>
  );
}
