import { useEffect, useState } from 'react';
import { followJobEvents, StreamUnavailableError } from '../../../client/sse.js';
import { useResource, type Resource } from './resource.js';
import { useSession } from './session.js';
import type { Job } from './types.js';

/** How the page learns about the job: pushed by the event stream, or polled when it is unavailable. */
export type JobTransport = 'connecting' | 'stream' | 'polling';

export interface JobFeed extends Resource<Job> {
  transport: JobTransport;
}

function finished(j: Job): boolean {
  return j.status === 'COMPLETED' || j.status === 'FAILED' || j.status === 'CANCELLED';
}

/**
 * One job, kept current: read once, then followed through `GET /v2/jobs/{id}/events` (a fetch
 * stream, since `EventSource` cannot send the X-API-Key header). When the stream cannot be opened
 * or keeps dropping, the page polls every 2 s instead, as it always did.
 *
 * @example
 * const job = useJobFeed(id); job.transport === 'stream' && <span>Live</span>
 */
export function useJobFeed(id: string): JobFeed {
  const { api, credential } = useSession();
  const [transport, setTransport] = useState<JobTransport>('connecting');
  const [pushed, setPushed] = useState<Job | null>(null);
  // Polling runs only after the stream has failed; until then the first read is the only GET.
  const base = useResource(
    (s) => api.get<Job>(`/v2/jobs/${encodeURIComponent(id)}`, s),
    [api, id],
    (j) => (transport === 'polling' && !finished(j) ? 2000 : null),
  );
  const reloadBase = base.reload;
  const initialFinished = base.data ? finished(base.data) : null;

  useEffect(() => {
    setPushed(null);
    setTransport('connecting');
  }, [id]);

  useEffect(() => {
    // A job already final when first read needs no stream.
    if (initialFinished !== false || credential.kind !== 'key') return;
    const ctrl = new AbortController();
    followJobEvents({
      url: `/v2/jobs/${encodeURIComponent(id)}/events`,
      headers: { 'X-API-Key': credential.value },
      signal: ctrl.signal,
      onOpen: () => setTransport('stream'),
      onJob: (j) => setPushed(j),
    }).catch((err: unknown) => {
      if (ctrl.signal.aborted) return;
      // Unavailable (404, a buffering proxy, repeated drops) or anything unexpected: the page must
      // not freeze, so it polls. Restarting the resource makes its loop take the new schedule.
      if (!(err instanceof StreamUnavailableError)) console.info('job event stream failed; polling instead', err);
      setTransport('polling');
      reloadBase();
    });
    return () => ctrl.abort();
  }, [id, credential, initialFinished, reloadBase]);

  // The newer of the pushed job and the last read one (a cancel click reloads the read one).
  const data = pushed && (!base.data || pushed.updatedAt >= base.data.updatedAt) ? pushed : base.data;
  return { ...base, data, transport };
}
