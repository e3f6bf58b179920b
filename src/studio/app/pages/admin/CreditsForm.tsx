import { useState, type FormEvent } from 'react';
import { useSession } from '../../lib/session.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { KeyMode } from '../../lib/types.js';
import { credits } from '../../lib/format.js';
import { ErrorBanner, Notice } from '../../components/Feedback.js';
import { Field } from '../../components/Field.js';

/** Adds (positive) or removes (negative) credits, always with a reason for the ledger. */
export function CreditsForm({ accountId, onDone }: { accountId: string; onDone: () => void }) {
  const { api } = useSession();
  const [mode, setMode] = useState<KeyMode>('live');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const n = Number(amount);
    setBusy(true);
    setDone(null);
    try {
      await api.send('POST', `/admin/accounts/${encodeURIComponent(accountId)}/credits`, { mode, amount: n, reason: reason.trim() });
      setDone(`${n > 0 ? 'Added' : 'Removed'} ${credits(Math.abs(n))} ${mode} credits.`);
      setAmount('');
      setReason('');
      setError(null);
      onDone();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h3 className="subhead">Adjust credits</h3>
      {done ? <Notice tone="success">{done}</Notice> : null}
      <form className="grid-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field id="credits-mode" label="Wallet" errors={error?.about('mode')}>
          <select id="credits-mode" value={mode} onChange={(e) => setMode(e.target.value as KeyMode)}>
            <option value="live">Live</option>
            <option value="test">Test</option>
          </select>
        </Field>
        <Field id="credits-amount" label="Amount" hint="Negative to remove." errors={error?.about('amount')}>
          <input id="credits-amount" type="number" step={1} inputMode="numeric" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
        <Field id="credits-reason" label="Reason" errors={error?.about('reason')}>
          <input id="credits-reason" maxLength={500} placeholder="e.g. invoice 2026-11" value={reason} onChange={(e) => setReason(e.target.value)} />
        </Field>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !amount}>
            Apply
          </button>
        </div>
      </form>
      {error && !Object.keys(error.details).length ? <ErrorBanner error={error} /> : null}
    </>
  );
}
