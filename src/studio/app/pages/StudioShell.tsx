import { createContext, useContext } from 'react';
import { useSession } from '../lib/session.js';
import { match, useRoute } from '../lib/router.js';
import { useResource, type Resource } from '../lib/resource.js';
import { credits } from '../lib/format.js';
import type { Me } from '../lib/types.js';
import { Link, Redirect, Shell } from '../components/Shell.js';
import { EmptyState } from '../components/Feedback.js';
import { GeneratePage } from './generate/GeneratePage.js';
import { JobsPage } from './jobs/JobsPage.js';
import { JobPage } from './jobs/JobPage.js';
import { AccountPage } from './account/AccountPage.js';

/** `/v2/me`, loaded once per shell and reloaded after anything that moves credits. */
export const MeContext = createContext<Resource<Me> | null>(null);

export function useMe(): Resource<Me> {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside StudioShell');
  return me;
}

function AccountBadge({ me }: { me: Me | undefined }) {
  const { signOut } = useSession();
  const mode = me?.apiKey.mode;
  const wallet = mode ? me?.credits[mode] : undefined;
  return (
    <div className="whoami">
      {me ? (
        <span className="whoami-text">
          <span className={`badge ${mode === 'live' ? 'tone-ok' : 'tone-warn'}`}>{mode === 'live' ? 'Live' : 'Test'}</span>
          <span className="whoami-credits" title="Available credits">
            {credits(wallet?.available ?? 0)} credits
          </span>
        </span>
      ) : null}
      <button type="button" className="btn btn-small btn-ghost" onClick={() => signOut()}>
        Sign out
      </button>
    </div>
  );
}

function Page({ route }: { route: string }) {
  if (route === '/' || route === '/generate') return <GeneratePage />;
  if (route === '/jobs') return <JobsPage />;
  const job = match('/jobs/:id', route);
  if (job) return <JobPage id={job.id!} />;
  if (route === '/account') return <AccountPage />;
  if (route.startsWith('/admin')) return <Redirect to="/" />;
  return <EmptyState title="There is no page here." action={<Link to="/">Go to Generate</Link>} />;
}

export function StudioShell() {
  const { api } = useSession();
  const route = useRoute();
  const me = useResource((s) => api.get<Me>('/v2/me', s), [api]);
  const nav = [
    { route: '/', label: 'Generate', active: route === '/' || route === '/generate' },
    { route: '/jobs', label: 'Jobs', active: route.startsWith('/jobs') },
    { route: '/account', label: 'Account', active: route === '/account' },
  ];
  return (
    <MeContext.Provider value={me}>
      <Shell title="Studio" nav={nav} account={<AccountBadge me={me.data} />}>
        <Page route={route} />
      </Shell>
    </MeContext.Provider>
  );
}
