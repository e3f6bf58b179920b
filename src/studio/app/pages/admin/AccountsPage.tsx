import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import type { AdminAccount } from '../../lib/types.js';
import { credits, dateTime } from '../../lib/format.js';
import { EmptyState, ErrorBanner, Loading } from '../../components/Feedback.js';
import { Link } from '../../components/Shell.js';
import { Pill } from '../../components/StatusBadge.js';
import { CreateAccountForm } from './CreateAccountForm.js';

/** Every account with its plan and balances, and a form for a new one. */
export function AccountsPage() {
  const { api } = useSession();
  const accounts = useResource((s) => api.get<{ accounts: AdminAccount[] }>('/admin/accounts', s), [api]);
  const list = accounts.data?.accounts ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Accounts</h1>
        <p className="muted">Who may use this Reelay, on which plan, with how many credits.</p>
      </div>
      <ErrorBanner error={accounts.error} />
      {accounts.loading && !accounts.data ? (
        <Loading what="accounts" />
      ) : list.length === 0 ? (
        <EmptyState title="No accounts yet." />
      ) : (
        <div className="card flush">
          <table className="table accounts-table">
            <caption className="sr-only">Accounts</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Plan</th>
                <th scope="col" className="num">
                  Test credits
                </th>
                <th scope="col" className="num">
                  Live credits
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.id} data-account-id={a.id}>
                  <td>
                    <Link to={`/admin/accounts/${a.id}`} className="job-link">
                      {a.name}
                    </Link>{' '}
                    {a.disabled ? <Pill tone="danger">disabled</Pill> : null}
                    <span className="muted small block">
                      <code>{a.id}</code>
                    </span>
                  </td>
                  <td data-label="Plan">{a.plan}</td>
                  <td data-label="Test credits" className="num">
                    {credits(a.credits.test.available)}
                  </td>
                  <td data-label="Live credits" className="num">
                    {credits(a.credits.live.available)}
                  </td>
                  <td data-label="Created">{dateTime(a.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateAccountForm onCreated={accounts.reload} />
    </>
  );
}
