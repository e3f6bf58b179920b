import { useState } from 'react';
import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { WebhookSecret } from '../../lib/types.js';
import { dateTime } from '../../lib/format.js';
import { ErrorBanner, Loading, Notice } from '../../components/Feedback.js';
import { ConfirmButton, CopyButton } from '../../components/Buttons.js';

/** The Standard Webhooks signing secret: hidden until asked, copyable, rotatable. */
export function WebhookSecretPanel() {
  const { api } = useSession();
  const secret = useResource((s) => api.get<WebhookSecret>('/v2/webhooks/secret', s), [api]);
  const [shown, setShown] = useState(false);
  const [rotated, setRotated] = useState<WebhookSecret | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const current = rotated ?? secret.data;

  const rotate = async (): Promise<void> => {
    try {
      setRotated(await api.send<WebhookSecret>('POST', '/v2/webhooks/secret/rotate'));
      setShown(true);
      setError(null);
    } catch (err) {
      setError(toApiError(err));
    }
  };

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 className="card-title" id="secret-title">
        Webhook signing secret
      </h2>
      <p className="muted small">Verify the webhook-signature header of every delivery with this secret (Standard Webhooks).</p>
      <ErrorBanner error={error} />
      {!current ? (
        secret.error ? <ErrorBanner error={secret.error} /> : <Loading what="the secret" />
      ) : (
        <>
          <p className="secret-line">
            <code className="break" data-secret>
              {shown ? current.secret : `${current.secret.slice(0, 6)}${'•'.repeat(24)}`}
            </code>
            <button type="button" className="btn btn-small" aria-pressed={shown} onClick={() => setShown((s) => !s)}>
              {shown ? 'Hide' : 'Reveal'}
            </button>
            <CopyButton text={current.secret} />
          </p>
          <p className="muted small">
            Created {dateTime(current.createdAt)}
            {current.rotatedAt ? ` · rotated ${dateTime(current.rotatedAt)}` : ''}
          </p>
          {rotated?.previousSecretExpiresAt ? (
            <Notice tone="info">The previous secret keeps signing alongside the new one until {dateTime(rotated.previousSecretExpiresAt)}.</Notice>
          ) : null}
          <ConfirmButton label="Rotate secret" confirmLabel="Rotate now" onConfirm={rotate} />
        </>
      )}
    </section>
  );
}
