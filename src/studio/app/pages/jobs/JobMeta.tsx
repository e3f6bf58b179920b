import type { ReactNode } from 'react';
import type { Job } from '../../lib/types.js';
import { bytes, credits, dateTime, elapsed } from '../../lib/format.js';
import { CopyButton } from '../../components/Buttons.js';
import { engineLabel } from '../../components/StatusBadge.js';

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="meta-row">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The job's facts and, once done, the probed file's: width, height, fps, duration, bytes, sha256. */
export function JobMeta({ job }: { job: Job }) {
  const r = job.result;
  return (
    <section className="card" aria-labelledby="meta-title">
      <h2 className="card-title" id="meta-title">
        Details
      </h2>
      <dl className="meta">
        <Row term="Credits">
          {credits(job.creditCost)} ({job.mode})
        </Row>
        <Row term="Engine">
          <span data-meta="engine">{job.engine ? engineLabel(job.engine) : 'Not routed yet'}</span>
          {job.engine === 'sandbox' ? <span className="muted"> (a preview: test keys never call an upstream)</span> : null}
        </Row>
        {job.statusReason ? <Row term="Waiting because">{job.statusReason}</Row> : null}
        <Row term="Created">{dateTime(job.createdAt)}</Row>
        {job.completedAt ? <Row term="Finished">{dateTime(job.completedAt)}</Row> : null}
        {job.completedAt ? <Row term="Took">{elapsed(job.createdAt, job.completedAt)}</Row> : null}
        {r ? (
          <>
            <Row term="Size">
              <span data-meta="dimensions">
                {r.width}×{r.height}
              </span>
            </Row>
            <Row term="Frame rate">{r.fps} fps</Row>
            <Row term="Duration">{r.durationSeconds} s</Row>
            <Row term="File">
              {bytes(r.bytes)} <span className="muted">({credits(r.bytes)} bytes)</span>
            </Row>
            <Row term="SHA-256">
              <code className="hash">{r.sha256}</code> <CopyButton text={r.sha256} />
            </Row>
            <Row term="Link expires">{dateTime(r.urlExpiresAt)}</Row>
          </>
        ) : null}
      </dl>
    </section>
  );
}
