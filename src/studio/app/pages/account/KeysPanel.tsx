import { useState, type FormEvent } from 'react';
import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { ApiKey, KeyMode, NewApiKey } from '../../lib/types.js';
import { dateTime } from '../../lib/format.js';
import { ErrorBanner, Loading, Notice } from '../../components/Feedback.js';
import { ConfirmButton, CopyButton } from '../../components/Buttons.js';
import { Field } from '../../components/Field.js';
import { Pill } from '../../components/StatusBadge.js';
import { useMe } from '../StudioShell.js';

function NewKeyNotice({ created, onDone }: { created: NewApiKey; onDone: () => void }) {
  return (
    <Notice tone="success">
      <p>
        <strong>New {created.mode} key{created.name ? ` “${created.name}”` : ''}.</strong> Copy it now: it is shown only once.
      </p>
      <p className="secret-line">
        <code className="break" data-new-key>
          {created.key}
        </code>
        <CopyButton text={created.key} />
      </p>
      <button type="button" className="btn btn-small btn-ghost" onClick={onDone}>
        I have saved it
      </button>
    </Notice>
  );
}

function CreateKeyForm({ onCreated, canLive }: { onCreated: (k: NewApiKey) => void; canLive: boolean }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [mode, setMode] = useState<KeyMode>(canLive ? 'live' : 'test');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      onCreated(await api.send<NewApiKey>('POST', '/v2/keys', { name: name.trim(), mode }));
      setName('');
      setError(null);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)}>
      <Field id="key-name" label="Name" errors={error?.about('name')}>
        <input id="key-name" maxLength={100} placeholder="e.g. laptop, CI" value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field id="key-mode" label="Mode" errors={error?.about('mode')}>
        <select id="key-mode" value={mode} onChange={(e) => setMode(e.target.value as KeyMode)}>
          <option value="test">Test (sandbox engine)</option>
          {canLive ? <option value="live">Live (real upstream)</option> : null}
        </select>
      </Field>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create key'}
      </button>
      {error && !Object.keys(error.details).length ? <ErrorBanner error={error} /> : null}
    </form>
  );
}

/** The account's keys: create (shown once), revoke. Revoking the key in use signs out. */
export function KeysPanel() {
  const { api, signOut } = useSession();
  const me = useMe();
  const keys = useResource((s) => api.get<{ keys: ApiKey[] }>('/v2/keys', s), [api]);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const current = me.data?.apiKey.id;

  const revoke = async (k: ApiKey): Promise<void> => {
    try {
      await api.send('DELETE', `/v2/keys/${encodeURIComponent(k.id)}`);
      setError(null);
      if (k.id === current) signOut('You revoked the key you were signed in with.');
      else keys.reload();
    } catch (err) {
      setError(toApiError(err));
    }
  };

  const list = keys.data?.keys ?? [];
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 className="card-title" id="keys-title">
        API keys
      </h2>
      {created ? <NewKeyNotice created={created} onDone={() => setCreated(null)} /> : null}
      <ErrorBanner error={error} />
      {!keys.data ? (
        keys.error ? <ErrorBanner error={keys.error} /> : <Loading what="keys" />
      ) : (
        <table className="table keys-table">
          <caption className="sr-only">API keys of this account</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Mode</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((k) => (
              <tr key={k.id} data-key-id={k.id} className={k.revokedAt ? 'revoked' : undefined}>
                <td>
                  <span className="key-name">{k.name || 'Unnamed key'}</span> <code>{k.prefix}…</code>
                  {k.id === current ? <Pill tone="accent">this session</Pill> : null}
                </td>
                <td data-label="Mode">
                  <Pill tone={k.mode === 'live' ? 'ok' : 'warn'}>{k.mode}</Pill>
                </td>
                <td data-label="Created">{dateTime(k.createdAt)}</td>
                <td className="num">
                  {k.revokedAt ? (
                    <span className="muted small">Revoked {dateTime(k.revokedAt)}</span>
                  ) : (
                    <ConfirmButton label="Revoke" confirmLabel={k.id === current ? 'Revoke and sign out' : 'Revoke key'} onConfirm={() => revoke(k)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 className="subhead">Create a key</h3>
      <CreateKeyForm
        canLive={me.data?.apiKey.mode === 'live'}
        onCreated={(k) => {
          setCreated(k);
          keys.reload();
        }}
      />
    </section>
  );
}
