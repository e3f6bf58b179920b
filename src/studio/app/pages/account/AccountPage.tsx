import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import type { Plan } from '../../lib/types.js';
import { credits } from '../../lib/format.js';
import { ErrorBanner, Loading } from '../../components/Feedback.js';
import { useMe } from '../StudioShell.js';
import { KeysPanel } from './KeysPanel.js';
import { LedgerPanel } from './LedgerPanel.js';
import { WebhookSecretPanel } from './WebhookSecretPanel.js';

const MODE_NOTE: Record<'live' | 'test', string> = {
  test: 'This is a test key: its jobs are sandbox previews that cost test credits only. Keys, jobs, ledger and webhook secret shown here are the test ones; sign in with a live key to see the live ones.',
  live: 'This is a live key: its jobs go to the upstreams and spend live credits. Keys, jobs, ledger and webhook secret shown here are the live ones; sign in with a test key to see the test ones.',
};

/**
 * The signed-in key's wallet only: a key sees its own mode's credits (`/v2/me` holds just that
 * one), so the other mode's balance is not shown even by an older server that sent both.
 */
function Balances() {
  const me = useMe();
  if (!me.data) return me.error ? <ErrorBanner error={me.error} /> : <Loading what="balances" />;
  const mode = me.data.apiKey.mode;
  const w = me.data.credits[mode];
  return (
    <section className="card" aria-labelledby="balance-title">
      <div className="card-head">
        <h2 className="card-title" id="balance-title">
          {mode === 'live' ? 'Live' : 'Test'} credits
        </h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={me.reload}>
          Refresh
        </button>
      </div>
      {w ? (
        <div className="wallets">
          <div className="wallet current">
            <p className="wallet-available" data-wallet={mode}>
              {credits(w.available)}
              <span className="muted small"> available</span>
            </p>
            <p className="muted small">
              {credits(w.held)} held by unfinished jobs · {credits(w.spent)} spent
            </p>
          </div>
        </div>
      ) : (
        <p className="muted">No {mode} credits yet.</p>
      )}
      <p className="muted small mode-note" data-mode-note={mode}>
        {MODE_NOTE[mode]}
      </p>
    </section>
  );
}

function PlanCard() {
  const { api } = useSession();
  const plan = useResource((s) => api.get<Plan>('/v2/plan', s), [api]);
  return (
    <section className="card" aria-labelledby="plan-title">
      <h2 className="card-title" id="plan-title">
        Plan{plan.data ? `: ${plan.data.name}` : ''}
      </h2>
      {plan.data ? (
        <dl className="stats">
          <div>
            <dt>Monthly credits</dt>
            <dd>{credits(plan.data.monthlyCredits)}</dd>
          </div>
          <div>
            <dt>Jobs at once</dt>
            <dd>{plan.data.concurrency}</dd>
          </div>
          <div>
            <dt>Requests per minute</dt>
            <dd>{credits(plan.data.rateLimitPerMinute)}</dd>
          </div>
        </dl>
      ) : plan.error ? (
        <ErrorBanner error={plan.error} />
      ) : (
        <Loading what="the plan" />
      )}
    </section>
  );
}

/** Balances and holds, plan limits, keys, the webhook signing secret and the ledger. */
export function AccountPage() {
  const me = useMe();
  return (
    <>
      <div className="page-head">
        <h1>Account</h1>
        <p className="muted">
          {me.data ? (
            <>
              {me.data.account.name} · <code>{me.data.account.id}</code> · signed in with{' '}
              <span className={`badge ${me.data.apiKey.mode === 'live' ? 'tone-ok' : 'tone-warn'}`} data-key-mode={me.data.apiKey.mode}>
                {me.data.apiKey.mode === 'live' ? 'Live' : 'Test'} key
              </span>{' '}
              <code>{me.data.apiKey.prefix}…</code>
            </>
          ) : (
            'Your credits, plan, keys and webhook secret.'
          )}
        </p>
      </div>
      <div className="account-grid">
        <Balances />
        <PlanCard />
      </div>
      <KeysPanel />
      <WebhookSecretPanel />
      <LedgerPanel />
    </>
  );
}
