import { useSession } from '../../lib/session.js';
import { match, useRoute } from '../../lib/router.js';
import { Redirect, Shell } from '../../components/Shell.js';
import { AccountsPage } from './AccountsPage.js';
import { AdminAccountPage } from './AdminAccountPage.js';
import { PlansPage } from './PlansPage.js';
import { ProvidersPage } from './ProvidersPage.js';
import { MarginsPage } from './MarginsPage.js';

function Page({ route }: { route: string }) {
  if (route === '/admin') return <AccountsPage />;
  if (route === '/admin/plans') return <PlansPage />;
  if (route === '/admin/providers') return <ProvidersPage />;
  if (route === '/admin/margins') return <MarginsPage />;
  const acct = match('/admin/accounts/:id', route);
  if (acct) return <AdminAccountPage id={acct.id!} />;
  return <Redirect to="/admin" />;
}

/** The operator's console: accounts, credits, plans, providers' health and margins, through `/admin` with the admin token. */
export function AdminShell() {
  const { signOut } = useSession();
  const route = useRoute();
  const nav = [
    { route: '/admin', label: 'Accounts', active: route === '/admin' || route.startsWith('/admin/accounts') },
    { route: '/admin/plans', label: 'Plans', active: route === '/admin/plans' },
    { route: '/admin/providers', label: 'Providers', active: route === '/admin/providers' },
    { route: '/admin/margins', label: 'Margins', active: route === '/admin/margins' },
  ];
  const account = (
    <div className="whoami">
      <span className="badge tone-accent">Operator</span>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => signOut()}>
        Sign out
      </button>
    </div>
  );
  return (
    <Shell title="Operator" nav={nav} account={account}>
      <Page route={route} />
    </Shell>
  );
}
