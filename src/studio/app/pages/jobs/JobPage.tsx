import { useEffect, useState } from 'react';
import { useSession } from '../../lib/session.js';
import { useJobFeed, type JobTransport } from '../../lib/jobStream.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { Job } from '../../lib/types.js';
import { promptOf } from '../../lib/format.js';
import { ErrorBanner, Loading, EmptyState } from '../../components/Feedback.js';
import { ConfirmButton } from '../../components/Buttons.js';
import { EngineBadge, StatusBadge, StatusReason, isFinished } from '../../components/StatusBadge.js';
import { Link } from '../../components/Shell.js';
import { useMe } from '../StudioShell.js';
import { VideoPanel } from './VideoPanel.js';
import { JobMeta } from './JobMeta.js';
import { CurlPanel } from './CurlPanel.js';
import { WebhookPanel } from './WebhookPanel.js';

function Actions({ job, onChanged }: { job: Job; onChanged: () => void }) {
  const { api } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const cancel = async (): Promise<void> => {
    setBusy(true);
    try {
      await api.send('POST', `/v2/jobs/${job.id}/cancel`);
      setError(null);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
      onChanged();
    }
  };
  return (
    <div className="actions">
      {job.result ? (
        <a className="btn btn-primary" href={job.result.videoUrl} download={`reelay-${job.id}.mp4`}>
          Download MP4
        </a>
      ) : null}
      {!isFinished(job.status) ? <ConfirmButton label="Cancel job" confirmLabel="Cancel this job" onConfirm={cancel} busy={busy} /> : null}
      <ErrorBanner error={error} />
    </div>
  );
}

const LIVE: Record<JobTransport, string> = { connecting: 'Connecting…', stream: 'Live', polling: 'Checking every 2 s' };

/** How the page follows the job: pushed by the event stream, or polled when the stream is unavailable. */
function Live({ transport }: { transport: JobTransport }) {
  return (
    <span className={`live-indicator live-${transport}`} data-transport={transport} title={transport === 'polling' ? 'The live event stream is unavailable; polling instead' : 'Updates are pushed as they happen'}>
      {LIVE[transport]}
    </span>
  );
}

/** One job: the player when it is done, live progress until then, its metadata, request and webhooks. */
export function JobPage({ id }: { id: string }) {
  const me = useMe();
  const job = useJobFeed(id);
  const status = job.data?.status;
  const reloadMe = me.reload;
  useEffect(() => {
    // Finishing captures or releases the hold: the balance in the header changes.
    if (status && isFinished(status)) reloadMe();
  }, [status, reloadMe]);

  if (!job.data) {
    if (job.error?.status === 404 || job.error?.status === 400) {
      return <EmptyState title="No such job on this account." action={<Link to="/jobs">Back to jobs</Link>} />;
    }
    return job.error ? <ErrorBanner error={job.error} title="The job could not be loaded." /> : <Loading what="the job" />;
  }
  const j = job.data;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/jobs">← Jobs</Link>
      </nav>
      <div className="page-head row">
        <div className="job-title">
          <h1 className="truncate-2">{promptOf(j.input)}</h1>
          <p className="muted">
            <StatusBadge status={j.status} /> <EngineBadge engine={j.engine} /> {j.model} · <code>{j.id}</code>
            {isFinished(j.status) ? null : <Live transport={job.transport} />}
          </p>
          {isFinished(j.status) ? null : <StatusReason reason={j.statusReason} />}
        </div>
        <Actions job={j} onChanged={job.reload} />
      </div>
      <ErrorBanner error={job.error} title="Could not refresh the job." />
      <div className="job-grid">
        <VideoPanel job={j} />
        <JobMeta job={j} />
      </div>
      <CurlPanel job={j} />
      <WebhookPanel jobId={j.id} jobFinished={isFinished(j.status)} />
    </>
  );
}
