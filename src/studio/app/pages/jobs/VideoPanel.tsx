import type { Job } from '../../lib/types.js';
import { JobProgress } from '../../components/StatusBadge.js';

/** The player once the video exists; otherwise what is happening instead. */
export function VideoPanel({ job }: { job: Job }) {
  if (job.status === 'COMPLETED' && job.result) {
    const r = job.result;
    return (
      <div className="player card flush">
        <video className="video" controls playsInline preload="metadata" src={r.videoUrl} poster={r.posterUrl} width={r.width} height={r.height} aria-label="Generated video">
          Your browser cannot play this MP4; use Download instead.
        </video>
      </div>
    );
  }
  let body;
  if (job.status === 'COMPLETED') body = <p>The files of this job passed the retention period and were deleted.</p>;
  else if (job.status === 'FAILED') {
    body = (
      <div className="player-failed" role="alert">
        <p className="player-state">Failed</p>
        <p>{job.error ?? 'The job failed.'}</p>
        {job.errorCode ? <code>{job.errorCode}</code> : null}
        <p className="muted small">Its credits were released.</p>
      </div>
    );
  } else if (job.status === 'CANCELLED') {
    body = (
      <>
        <p className="player-state">Cancelled</p>
        <p className="muted">Its credits were released.</p>
      </>
    );
  } else {
    body = (
      <>
        <p className="player-state">{job.status === 'QUEUED' ? 'Waiting in the queue…' : 'Rendering…'}</p>
        <JobProgress status={job.status} progress={job.progress} />
      </>
    );
  }
  return <div className="player player-placeholder card">{body}</div>;
}
