import { useState } from 'react';
import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { Job, JobList } from '../../lib/types.js';
import { EmptyState, ErrorBanner, Loading } from '../../components/Feedback.js';
import { isFinished } from '../../components/StatusBadge.js';
import { Link } from '../../components/Shell.js';
import { JobRow } from './JobRow.js';

/** Poll every 2 s while something is unfinished, else every 20 s to notice jobs submitted elsewhere. */
export function listPollMs(list: JobList): number {
  return list.jobs.some((j) => !isFinished(j.status)) ? 2000 : 20_000;
}

/** Newest jobs first, live; older pages on request. */
export function JobsPage() {
  const { api } = useSession();
  const first = useResource((s) => api.get<JobList>('/v2/jobs?limit=20', s), [api], listPollMs);
  const [older, setOlder] = useState<{ jobs: Job[]; cursor: string | null } | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  const cursor = older ? older.cursor : (first.data?.nextCursor ?? null);
  const loadMore = async (): Promise<void> => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.get<JobList>(`/v2/jobs?limit=20&cursor=${encodeURIComponent(cursor)}`);
      setOlder((o) => ({ jobs: [...(o?.jobs ?? []), ...page.jobs], cursor: page.nextCursor }));
      setMoreError(null);
    } catch (err) {
      setMoreError(toApiError(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const seen = new Set(first.data?.jobs.map((j) => j.id));
  const jobs = [...(first.data?.jobs ?? []), ...(older?.jobs.filter((j) => !seen.has(j.id)) ?? [])];

  return (
    <>
      <div className="page-head row">
        <div>
          <h1>Jobs</h1>
          <p className="muted">Updates live while anything is rendering.</p>
        </div>
        <Link to="/" className="btn btn-primary">
          New video
        </Link>
      </div>
      <ErrorBanner error={first.error} title="Could not refresh the list." />
      {first.loading && !first.data ? (
        <Loading what="jobs" />
      ) : jobs.length === 0 ? (
        <EmptyState title="No jobs yet." action={<Link to="/" className="btn btn-primary">Generate your first video</Link>}>
          Every video you generate, here or through the API, shows up in this list.
        </EmptyState>
      ) : (
        <div className="card flush">
          <table className="table jobs-table">
            <caption className="sr-only">Your jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col" className="num">
                  Credits
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <JobRow key={j.id} job={j} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor ? (
        <div className="center">
          <button type="button" className="btn" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load older jobs'}
          </button>
        </div>
      ) : null}
      <ErrorBanner error={moreError} />
    </>
  );
}
