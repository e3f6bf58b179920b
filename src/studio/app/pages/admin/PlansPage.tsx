import { useState, type FormEvent } from 'react';
import { useSession } from '../../lib/session.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { Plan } from '../../lib/types.js';
import { credits } from '../../lib/format.js';
import { ErrorBanner, Loading, Notice } from '../../components/Feedback.js';
import { Field } from '../../components/Field.js';
import { usePlans } from './usePlans.js';

function PlanForm({ plan, onSaved }: { plan: Plan | null; onSaved: () => void }) {
  const { api } = useSession();
  const prefix = plan ? `plan-${plan.id}` : 'plan-new';
  const [id, setId] = useState(plan?.id ?? '');
  const [name, setName] = useState(plan?.name ?? '');
  const [monthly, setMonthly] = useState(String(plan?.monthlyCredits ?? 0));
  const [concurrency, setConcurrency] = useState(String(plan?.concurrency ?? 2));
  const [rate, setRate] = useState(String(plan?.rateLimitPerMinute ?? 120));
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [idError, setIdError] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSaved(false);
    setIdError(!id.trim());
    if (!id.trim()) return;
    try {
      await api.send('PUT', `/admin/plans/${encodeURIComponent(id.trim())}`, {
        name: name.trim(),
        monthlyCredits: Number(monthly),
        concurrency: Number(concurrency),
        rateLimitPerMinute: Number(rate),
      });
      setError(null);
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(toApiError(err));
    }
  };

  return (
    <form className="grid-form plan-form" onSubmit={(e) => void submit(e)} noValidate aria-label={plan ? `Plan ${plan.name}` : 'New plan'}>
      {plan ? null : (
        <Field id={`${prefix}-id`} label="Id" hint="Lowercase, e.g. team" errors={idError ? ['Give the plan an id.'] : error?.about('id')}>
          <input id={`${prefix}-id`} value={id} onChange={(e) => setId(e.target.value)} />
        </Field>
      )}
      <Field id={`${prefix}-name`} label="Name" errors={error?.about('name')}>
        <input id={`${prefix}-name`} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field id={`${prefix}-monthly`} label="Monthly credits" errors={error?.about('monthlyCredits')}>
        <input id={`${prefix}-monthly`} type="number" min={0} value={monthly} onChange={(e) => setMonthly(e.target.value)} />
      </Field>
      <Field id={`${prefix}-conc`} label="Jobs at once" errors={error?.about('concurrency')}>
        <input id={`${prefix}-conc`} type="number" min={1} value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
      </Field>
      <Field id={`${prefix}-rate`} label="Requests / min" errors={error?.about('rateLimitPerMinute')}>
        <input id={`${prefix}-rate`} type="number" min={1} value={rate} onChange={(e) => setRate(e.target.value)} />
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary">
          {plan ? 'Save' : 'Add plan'}
        </button>
        {saved ? <span className="saved" role="status">Saved</span> : null}
      </div>
      {error && !Object.keys(error.details).length ? <ErrorBanner error={error} /> : null}
    </form>
  );
}

function GrantsButton() {
  const { api } = useSession();
  const [out, setOut] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (): Promise<void> => {
    try {
      const r = await api.send<Record<string, unknown>>('POST', '/admin/grants/run');
      setOut(`Monthly grants applied: ${JSON.stringify(r)}`);
      setError(null);
    } catch (err) {
      setError(toApiError(err));
    }
  };
  return (
    <div className="actions">
      <button type="button" className="btn" onClick={() => void run()}>
        Apply this month’s grants now
      </button>
      {out ? <Notice tone="success">{out}</Notice> : null}
      <ErrorBanner error={error} />
    </div>
  );
}

/** Plans: monthly credit grant, concurrency ceiling and rate limit, editable in place. */
export function PlansPage() {
  const plans = usePlans();
  return (
    <>
      <div className="page-head row">
        <div>
          <h1>Plans</h1>
          <p className="muted">Changes apply at once to every account on the plan.</p>
        </div>
        <GrantsButton />
      </div>
      {!plans.data ? (
        plans.error ? <ErrorBanner error={plans.error} /> : <Loading what="plans" />
      ) : (
        plans.data.plans.map((p) => (
          <section key={p.id} className="card" aria-labelledby={`plan-${p.id}-title`}>
            <h2 className="card-title" id={`plan-${p.id}-title`}>
              {p.name} <code className="muted small">{p.id}</code>{' '}
              <span className="muted small">· {credits(p.monthlyCredits)} credits a month</span>
            </h2>
            <PlanForm plan={p} onSaved={plans.reload} />
          </section>
        ))
      )}
      <section className="card" aria-labelledby="plan-new-title">
        <h2 className="card-title" id="plan-new-title">
          New plan
        </h2>
        <PlanForm plan={null} onSaved={plans.reload} />
      </section>
    </>
  );
}
