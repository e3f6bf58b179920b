import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import type { Plan } from '../../lib/types.js';
import { credits } from '../../lib/format.js';
import { ErrorBanner, Loading } from '../../components/Feedback.js';
import { useMe } from '../StudioShell.js';
import { KeysPanel } from './KeysPanel.js';
import { LedgerPanel } from './LedgerPanel.js';
import { WebhookSecretPanel } from './WebhookSecretPanel.js';

function Balances() {
  const me = useMe();
  if (!me.data) return me.error ? <ErrorBanner error={me.error} /> : <Loading what="balances" />;
  const modes = (['test', 'live'] as const).filter((m) => me.data!.credits[m]);
  return (
    <section className="card" aria-labelledby="balance-title">
      <div className="card-head">
        <h2 className="card-title" id="balance-title">
          Credits
        </h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={me.reload}>
          Refresh
        </button>
      </div>
      <div className="wallets">
        {modes.map((m) => {
          const w = me.data!.credits[m]!;
          return (
            <div key={m} className={`wallet${m === me.data!.apiKey.mode ? ' current' : ''}`}>
              <h3>{m === 'live' ? 'Live' : 'Test'} credits</h3>
              <p className="wallet-available" data-wallet={m}>
                {credits(w.available)}
                <span className="muted small"> available</span>
              </p>
              <p className="muted small">
                {credits(w.held)} held by unfinished jobs · {credits(w.spent)} spent
              </p>
            </div>
          );
        })}
      </div>
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
              {me.data.account.name} · <code>{me.data.account.id}</code> · signed in with <code>{me.data.apiKey.prefix}…</code>
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
