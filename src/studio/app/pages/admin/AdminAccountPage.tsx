import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import type { AdminAccount } from '../../lib/types.js';
import { credits, dateTime } from '../../lib/format.js';
import { EmptyState, ErrorBanner, Loading } from '../../components/Feedback.js';
import { LedgerTable, useLedger } from '../../components/Ledger.js';
import { Link } from '../../components/Shell.js';
import { Pill } from '../../components/StatusBadge.js';
import { AccountSettings } from './AccountSettings.js';
import { CreditsForm } from './CreditsForm.js';
import { AdminKeys } from './AdminKeys.js';

function Wallets({ account }: { account: AdminAccount }) {
  return (
    <div className="wallets">
      {(['test', 'live'] as const).map((m) => (
        <div key={m} className="wallet">
          <h3>{m === 'live' ? 'Live' : 'Test'} credits</h3>
          <p className="wallet-available" data-wallet={m}>
            {credits(account.credits[m].available)}
            <span className="muted small"> available</span>
          </p>
          <p className="muted small">
            {credits(account.credits[m].held)} held · {credits(account.credits[m].spent)} spent
          </p>
        </div>
      ))}
    </div>
  );
}

/** One account: balances, plan and status, credit adjustments, keys and ledger. */
export function AdminAccountPage({ id }: { id: string }) {
  const { api } = useSession();
  const path = `/admin/accounts/${encodeURIComponent(id)}`;
  const account = useResource((s) => api.get<AdminAccount>(path, s), [api, path]);
  const ledger = useLedger(api, `${path}/ledger`);
  const changed = (): void => {
    account.reload();
    ledger.reload();
  };

  if (!account.data) {
    if (account.error?.status === 404) return <EmptyState title="No such account." action={<Link to="/admin">All accounts</Link>} />;
    return account.error ? <ErrorBanner error={account.error} /> : <Loading what="the account" />;
  }
  const a = account.data;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/admin">← Accounts</Link>
      </nav>
      <div className="page-head">
        <h1>
          {a.name} {a.disabled ? <Pill tone="danger">disabled</Pill> : null}
        </h1>
        <p className="muted">
          <code>{a.id}</code> · plan {a.plan} · created {dateTime(a.createdAt)}
        </p>
      </div>
      <section className="card" aria-labelledby="wallets-title">
        <h2 className="card-title" id="wallets-title">
          Credits
        </h2>
        <Wallets account={a} />
        <CreditsForm accountId={a.id} onDone={changed} />
      </section>
      <AccountSettings account={a} onSaved={changed} />
      <AdminKeys accountId={a.id} />
      <section className="card" aria-labelledby="admin-ledger-title">
        <h2 className="card-title" id="admin-ledger-title">
          Ledger
        </h2>
        <LedgerTable ledger={ledger} />
      </section>
    </>
  );
}
