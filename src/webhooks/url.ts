/**
 * The submit-time check of a webhook URL: the same rules `safeRequest` applies before every
 * delivery (scheme, credentials, metadata hosts, every resolved address), run early so that a bad
 * URL is a 400 before anything is created or charged. Delivery re-checks on every attempt, because
 * DNS may answer differently by then.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '../errors.js';
import { classifyAddress, describeAddressClass, isMetadataHostname, type HostResolver, type ResolvedAddress, type UrlPolicy } from '../net/index.js';

/** Longer URLs are almost certainly not receivers, and they are stored on every delivery row. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const systemResolver: HostResolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a): ResolvedAddress => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function allowed(ip: string, host: string, policy: UrlPolicy): string | null {
  const cls = classifyAddress(ip);
  // Metadata services hand out credentials: refused even when private networks are allowed.
  if (cls === 'metadata' || cls === 'invalid') return describeAddressClass(cls);
  const ok = policy.isAllowedAddress ? policy.isAllowedAddress(ip, host) : policy.allowPrivateNetworks || cls === 'public';
  return ok ? null : describeAddressClass(cls);
}

async function resolveWithin(resolve: HostResolver, hostname: string, timeoutMs: number): Promise<readonly ResolvedAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' })), timeoutMs);
  });
  try {
    return await Promise.race([resolve(hostname), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Throws `AppError('url_not_allowed')`, with the message under `details[field]`, unless `raw` is
 * an absolute http(s) URL the policy lets us deliver to.
 *
 * @example
 * await checkWebhookUrl('https://hooks.example.com/reelay', { policy: DEFAULT_URL_POLICY, field: 'webhookUrl' });
 * await checkWebhookUrl('http://169.254.169.254/', { policy, field: 'webhookUrl' }); // throws url_not_allowed
 */
export async function checkWebhookUrl(
  raw: string,
  o: { policy: UrlPolicy; field: string; lookup?: HostResolver | undefined; dnsTimeoutMs?: number },
): Promise<void> {
  const refuse = (message: string): AppError => new AppError('url_not_allowed', message, { fields: { [o.field]: [message] } });
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw refuse(`Webhook URL must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('Webhook URL is not a valid absolute URL');
  }
  const secure = url.protocol === 'https:';
  if (!secure && !(url.protocol === 'http:' && o.policy.allowHttp)) {
    throw refuse(`Webhook URL must use ${o.policy.allowHttp ? 'http or https' : 'https'}`);
  }
  if (url.username !== '' || url.password !== '') throw refuse('Webhook URL must not contain a user name or password');
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  if (o.policy.allowedPorts && !o.policy.allowedPorts.includes(port)) throw refuse(`Webhook URL port ${port} is not allowed`);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isMetadataHostname(hostname)) throw refuse(`Webhook URL host "${hostname}" is a cloud metadata service`);

  const literal = isIP(hostname);
  let addresses: readonly ResolvedAddress[];
  if (literal !== 0) addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolveWithin(o.lookup ?? systemResolver, hostname, o.dnsTimeoutMs ?? 5000);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'lookup failed';
      throw refuse(`Webhook URL host "${hostname}" does not resolve (${code})`);
    }
    if (addresses.length === 0) throw refuse(`Webhook URL host "${hostname}" has no addresses`);
  }
  // One bad answer refuses the host: whoever controls its DNS chooses which answer we would use.
  for (const { address } of addresses) {
    const why = allowed(address, hostname, o.policy);
    if (why) {
      throw refuse(literal !== 0 ? `Webhook URL host ${hostname} is ${why}, which is not allowed` : `Webhook URL host "${hostname}" resolves to ${why}, which is not allowed`);
    }
  }
}
