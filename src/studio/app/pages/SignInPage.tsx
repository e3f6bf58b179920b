import { useState, type FormEvent } from 'react';
import { createApi, toApiError, type Credential } from '../lib/api.js';
import { Field, describedBy } from '../components/Field.js';
import { Notice } from '../components/Feedback.js';
import { Segmented } from '../components/Segmented.js';

type Kind = Credential['kind'];

const COPY: Record<Kind, { label: string; hint: string; placeholder: string; probe: string }> = {
  key: {
    label: 'API key',
    hint: 'A key that starts with rl_test_ or rl_live_. It stays in this tab only and is sent to nothing but this Reelay.',
    placeholder: 'rl_test_…',
    probe: '/v2/me',
  },
  admin: {
    label: 'Admin token',
    hint: 'The operator token set as REELAY_ADMIN_TOKEN on this server.',
    placeholder: 'Admin token',
    probe: '/admin/plans',
  },
};

/** Checks the credential against the API before keeping it, so a typo is caught here, next to the field. */
export function SignInPage({ onSignIn, notice }: { onSignIn: (c: Credential) => void; notice: string | null }) {
  const [kind, setKind] = useState<Kind>('key');
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const copy = COPY[kind];

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const v = value.trim();
    if (!v) {
      setErrors([`Enter your ${copy.label.toLowerCase()}.`]);
      return;
    }
    if (kind === 'key' && !/^rl_(live|test)_\S+$/.test(v)) {
      setErrors(['API keys start with rl_test_ or rl_live_.']);
      return;
    }
    setBusy(true);
    setErrors([]);
    const cred: Credential = { kind, value: v };
    try {
      await createApi(cred, () => undefined).get(copy.probe);
      onSignIn(cred);
    } catch (err) {
      setErrors([toApiError(err).message]);
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <div className="signin-card card">
        <div className="signin-brand">
          <svg className="logo logo-large" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <rect x="2" y="6" width="28" height="20" rx="6" className="logo-frame" />
            <path d="M13 11.5v9l8-4.5z" className="logo-play" />
          </svg>
          <div>
            <h1>Reelay Studio</h1>
            <p className="muted">Generate videos, watch your jobs, manage keys and credits.</p>
          </div>
        </div>
        {notice ? <Notice tone="warn">{notice}</Notice> : null}
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Segmented
            name="signin-kind"
            legend="Sign in as"
            value={kind}
            options={[
              { value: 'key', label: 'Account holder' },
              { value: 'admin', label: 'Operator' },
            ]}
            onChange={(k) => {
              setKind(k);
              setErrors([]);
            }}
          />
          <Field id="credential" label={copy.label} hint={copy.hint} errors={errors}>
            <input
              id="credential"
              type="password"
              autoComplete="off"
              spellCheck={false}
              placeholder={copy.placeholder}
              value={value}
              onChange={(e) => setValue(e.target.value)}
              aria-invalid={errors.length > 0}
              aria-describedby={describedBy('credential', errors, copy.hint)}
              autoFocus
            />
          </Field>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
