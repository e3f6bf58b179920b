import { useSession } from '../../lib/session.js';
import { match, useRoute } from '../../lib/router.js';
import { Redirect, Shell } from '../../components/Shell.js';
import { AccountsPage } from './AccountsPage.js';
import { AdminAccountPage } from './AdminAccountPage.js';
import { PlansPage } from './PlansPage.js';

function Page({ route }: { route: string }) {
  if (route === '/admin') return <AccountsPage />;
  if (route === '/admin/plans') return <PlansPage />;
  const acct = match('/admin/accounts/:id', route);
  if (acct) return <AdminAccountPage id={acct.id!} />;
  return <Redirect to="/admin" />;
}

/** The operator's console: accounts, credits and plans, through `/admin` with the admin token. */
export function AdminShell() {
  const { signOut } = useSession();
  const route = useRoute();
  const nav = [
    { route: '/admin', label: 'Accounts', active: route === '/admin' || route.startsWith('/admin/accounts') },
    { route: '/admin/plans', label: 'Plans', active: route === '/admin/plans' },
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
