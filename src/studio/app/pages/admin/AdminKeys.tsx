import { useState } from 'react';
import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { ApiKey, KeyMode, NewApiKey } from '../../lib/types.js';
import { dateTime } from '../../lib/format.js';
import { ErrorBanner, Loading, Notice, EmptyState } from '../../components/Feedback.js';
import { ConfirmButton, CopyButton } from '../../components/Buttons.js';
import { Pill } from '../../components/StatusBadge.js';

/** An account's keys as the operator sees them: mint a test or live key (shown once), revoke. */
export function AdminKeys({ accountId }: { accountId: string }) {
  const { api } = useSession();
  const path = `/admin/accounts/${encodeURIComponent(accountId)}/keys`;
  const keys = useResource((s) => api.get<{ keys: ApiKey[] }>(path, s), [api, path]);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const act = async (f: () => Promise<void>): Promise<void> => {
    try {
      await f();
      setError(null);
      keys.reload();
    } catch (err) {
      setError(toApiError(err));
    }
  };
  const create = (mode: KeyMode): Promise<void> => act(async () => setCreated(await api.send<NewApiKey>('POST', path, { mode, name: `${mode} key` })));

  return (
    <section className="card" aria-labelledby="admin-keys-title">
      <div className="card-head">
        <h2 className="card-title" id="admin-keys-title">
          API keys
        </h2>
        <span className="actions">
          <button type="button" className="btn btn-small" onClick={() => void create('test')}>
            New test key
          </button>
          <button type="button" className="btn btn-small" onClick={() => void create('live')}>
            New live key
          </button>
        </span>
      </div>
      {created ? (
        <Notice tone="success">
          <p className="secret-line">
            New {created.mode} key, shown once: <code className="break">{created.key}</code> <CopyButton text={created.key} />
          </p>
        </Notice>
      ) : null}
      <ErrorBanner error={error ?? keys.error} />
      {!keys.data ? (
        <Loading what="keys" />
      ) : keys.data.keys.length === 0 ? (
        <EmptyState title="This account has no keys." />
      ) : (
        <ul className="plain-list">
          {keys.data.keys.map((k) => (
            <li key={k.id} className={`list-row${k.revokedAt ? ' revoked' : ''}`}>
              <span>
                <code>{k.prefix}…</code> {k.name} <Pill tone={k.mode === 'live' ? 'ok' : 'warn'}>{k.mode}</Pill>
              </span>
              <span className="muted small">{k.revokedAt ? `revoked ${dateTime(k.revokedAt)}` : `created ${dateTime(k.createdAt)}`}</span>
              {k.revokedAt ? null : <ConfirmButton label="Revoke" confirmLabel="Revoke key" onConfirm={() => act(() => api.send('DELETE', `${path}/${encodeURIComponent(k.id)}`))} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
