import type { Job } from '../../lib/types.js';
import { curlFor } from '../../lib/curl.js';
import { CopyButton } from '../../components/Buttons.js';

/** The job's request as curl, to repeat it from a terminal or a script. */
export function CurlPanel({ job }: { job: Job }) {
  const command = curlFor(window.location.origin, job.input);
  const params = job.input.hailuoParams;
  const image = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).image : undefined;
  const inline = typeof image === 'string' && image.startsWith('data:');
  return (
    <section className="card" aria-labelledby="curl-title">
      <div className="card-head">
        <h2 className="card-title" id="curl-title">
          Request
        </h2>
        <CopyButton text={command} label="Copy curl" />
      </div>
      <pre className="code" tabIndex={0} aria-label="The request as a curl command">
        <code>{command}</code>
      </pre>
      <p className="hint">
        Set <code>REELAY_API_KEY</code> to your key first.
        {inline ? ' The image was sent inline and is shortened here: put your own data: URI or https URL in hailuoParams.image.' : ''}
      </p>
    </section>
  );
}
