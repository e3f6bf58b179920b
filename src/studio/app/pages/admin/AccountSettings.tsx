import { useState, type FormEvent } from 'react';
import { useSession } from '../../lib/session.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { AdminAccount } from '../../lib/types.js';
import { ErrorBanner, Notice } from '../../components/Feedback.js';
import { Field } from '../../components/Field.js';
import { ConfirmButton } from '../../components/Buttons.js';
import { usePlans } from './usePlans.js';

/** Name and plan (one save), and disabling: a disabled account's keys stop working at once. */
export function AccountSettings({ account, onSaved }: { account: AdminAccount; onSaved: () => void }) {
  const { api } = useSession();
  const plans = usePlans();
  const [name, setName] = useState(account.name);
  const [plan, setPlan] = useState(account.plan);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const patch = async (body: Record<string, unknown>): Promise<void> => {
    setBusy(true);
    setSaved(false);
    try {
      await api.send('PATCH', `/admin/accounts/${encodeURIComponent(account.id)}`, body);
      setError(null);
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void patch({ name: name.trim(), plan });
  };

  return (
    <section className="card" aria-labelledby="settings-title">
      <h2 className="card-title" id="settings-title">
        Settings
      </h2>
      {saved ? <Notice tone="success">Saved.</Notice> : null}
      <form className="grid-form" onSubmit={submit} noValidate>
        <Field id="settings-name" label="Name" errors={error?.about('name')}>
          <input id="settings-name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="settings-plan" label="Plan" errors={error?.about('plan')}>
          <select id="settings-plan" value={plan} onChange={(e) => setPlan(e.target.value)}>
            {(plans.data?.plans ?? [{ id: account.plan, name: account.plan }]).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.id})
              </option>
            ))}
          </select>
        </Field>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
      {error && !Object.keys(error.details).length ? <ErrorBanner error={error} /> : null}
      <div className="danger-zone">
        {account.disabled ? (
          <button type="button" className="btn" onClick={() => void patch({ disabled: false })} disabled={busy}>
            Enable account
          </button>
        ) : (
          <ConfirmButton label="Disable account" confirmLabel="Disable: its keys stop working" onConfirm={() => patch({ disabled: true })} busy={busy} />
        )}
      </div>
    </section>
  );
}
