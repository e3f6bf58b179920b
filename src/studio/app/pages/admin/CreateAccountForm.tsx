import { useState, type FormEvent } from 'react';
import { useSession } from '../../lib/session.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { AdminAccount } from '../../lib/types.js';
import { ErrorBanner, Notice } from '../../components/Feedback.js';
import { Field } from '../../components/Field.js';
import { CopyButton } from '../../components/Buttons.js';
import { usePlans } from './usePlans.js';

interface Created {
  account: AdminAccount;
  key: string | null;
}

export function CreateAccountForm({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const plans = usePlans();
  const [name, setName] = useState('');
  const [plan, setPlan] = useState('free');
  const [testCredits, setTestCredits] = useState('5000');
  const [liveCredits, setLiveCredits] = useState('0');
  const [withKey, setWithKey] = useState<'' | 'test' | 'live'>('test');
  const [error, setError] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      const out = await api.send<Created>('POST', '/admin/accounts', {
        name: name.trim(),
        plan,
        testCredits: Number(testCredits),
        liveCredits: Number(liveCredits),
        ...(withKey ? { withKey } : {}),
      });
      setCreated(out);
      setError(null);
      setName('');
      onCreated();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="new-account-title">
      <h2 className="card-title" id="new-account-title">
        New account
      </h2>
      {created ? (
        <Notice tone="success">
          <p>
            Created <strong>{created.account.name}</strong> (<code>{created.account.id}</code>).
          </p>
          {created.key ? (
            <p className="secret-line">
              First key, shown once: <code className="break" data-new-key>{created.key}</code> <CopyButton text={created.key} />
            </p>
          ) : null}
        </Notice>
      ) : null}
      <form className="grid-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field id="acct-name" label="Name" errors={error?.about('name')}>
          <input id="acct-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="acct-plan" label="Plan" errors={error?.about('plan')}>
          <select id="acct-plan" value={plan} onChange={(e) => setPlan(e.target.value)}>
            {(plans.data?.plans ?? [{ id: 'free', name: 'Free' }]).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="acct-test" label="Test credits" errors={error?.about('testCredits')}>
          <input id="acct-test" type="number" min={0} step={1} value={testCredits} onChange={(e) => setTestCredits(e.target.value)} />
        </Field>
        <Field id="acct-live" label="Live credits" errors={error?.about('liveCredits')}>
          <input id="acct-live" type="number" min={0} step={1} value={liveCredits} onChange={(e) => setLiveCredits(e.target.value)} />
        </Field>
        <Field id="acct-key" label="First key" errors={error?.about('withKey')}>
          <select id="acct-key" value={withKey} onChange={(e) => setWithKey(e.target.value as '' | 'test' | 'live')}>
            <option value="test">A test key</option>
            <option value="live">A live key</option>
            <option value="">No key</option>
          </select>
        </Field>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create account'}
          </button>
        </div>
      </form>
      {error && !Object.keys(error.details).length ? <ErrorBanner error={error} /> : null}
    </section>
  );
}
