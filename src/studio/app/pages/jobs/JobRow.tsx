import type { Job } from '../../lib/types.js';
import { ago, credits, promptOf } from '../../lib/format.js';
import { EngineBadge, JobProgress, StatusBadge, StatusReason } from '../../components/StatusBadge.js';
import { Link } from '../../components/Shell.js';

export function JobRow({ job }: { job: Job }) {
  return (
    <tr data-job-id={job.id} data-status={job.status}>
      <td className="job-cell">
        <Link to={`/jobs/${job.id}`} className="job-link">
          <span className="job-prompt truncate">{promptOf(job.input)}</span>
        </Link>
        <span className="muted small">
          {job.model} · <code>{job.id.slice(0, 8)}</code> <EngineBadge engine={job.engine} />
        </span>
      </td>
      <td data-label="Status">
        <StatusBadge status={job.status} />
        <StatusReason reason={job.statusReason} />
      </td>
      <td data-label="Progress">
        <JobProgress status={job.status} progress={job.progress} />
      </td>
      <td data-label="Credits" className="num">
        {credits(job.creditCost)}
      </td>
      <td data-label="Created">
        <time dateTime={job.createdAt} title={new Date(job.createdAt).toLocaleString()}>
          {ago(job.createdAt)}
        </time>
      </td>
    </tr>
  );
}
