/**
 * One typed configuration, read once at start from the environment and an optional JSON file
 * (`REELAY_CONFIG`), validated with a schema that reports every problem at once, then frozen.
 * Nothing else in Reelay reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
/** A route entry: a provider name, optionally `:weight` (a positive number). */
const ROUTE_ENTRY = /^[a-z0-9_-]+(:(\d+(\.\d+)?))?$/;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** Milliseconds as a JSON array or, from the environment, a comma-separated list ("0,5000,300000"). */
const msList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean).map(Number) : v),
  z.array(z.number().int().min(0).max(7 * 24 * 3600 * 1000)).min(1).max(50),
);

/** A JSON value: as-is from a file or overrides, parsed when it comes from the environment as text. */
const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v; // the schema then reports "expected object, received string"
    }
  }, schema);

/** Standard Webhooks' example schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (≈ 75 h in all). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000,
]);

export const configSchema = z
  .object({
    port: int(0, 65535).default(8080),
    host: z.string().default('0.0.0.0'),
    /** Where the embedded database and local files live. */
    dataDir: z.string().default('./data'),
    /** `postgres://…` selects a PostgreSQL server; unset means PGlite inside `dataDir`. */
    databaseUrl: z.string().optional(),
    /** PostgreSQL schema to use on the server (created if missing); several deployments can share one database. */
    databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).optional(),
    /** Base URL that clients reach us at (used in file URLs); default: taken from each request's Host. */
    publicUrl: z.string().url().optional(),
    role: z.enum(['all', 'api', 'worker']).default('all'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Largest accepted request body; a 20 MB image as a base64 data URI is ~27 MB. */
    bodyLimitBytes: int(1024, 200 * 1024 * 1024).default(30 * 1024 * 1024),
    /**
     * Time to receive a whole request, headers and body; a request that stops arriving (a chunked
     * body with no last chunk, a Content-Length never met) is answered 408 and closed after this.
     * 30 MB in 60 s needs about 4 Mbit/s of upload.
     */
    requestTimeoutMs: int(1000, 3_600_000).default(60_000),
    /** How long a signed file URL stays valid. */
    fileUrlTtlSeconds: int(60, 30 * 24 * 3600).default(24 * 3600),
    /** Completed jobs' files are deleted after this many hours (0 keeps them forever). */
    retentionHours: int(0, 24 * 365 * 10).default(24 * 7),
    /** Worker lease on a claimed job; a worker that dies loses the job after this long. */
    leaseSeconds: int(5, 3600).default(30),
    /** Fallback wake-up for workers when no event arrives. */
    workerIdlePollMs: int(20, 60_000).default(1000),
    /**
     * How long a stopping worker lets in-flight upstream calls finish before cutting them off.
     * Unset: the MiniMax call timeout + 5 s, so a create in flight is answered (and its task id
     * recorded) rather than cut off into a possible duplicate. See `workerStopGraceMs()`.
     */
    workerStopGraceMs: int(0, 600_000).optional(),
    /** Jobs one worker process drives at once (polls, submits, downloads). */
    workerConcurrency: int(1, 1000).default(16),
    /** Sandbox renders one worker process runs at once (ffmpeg is CPU-bound). */
    sandboxConcurrency: int(1, 64).default(2),
    /**
     * Longest wait a `[[sandbox:delay=N]]` test trigger can ask for; longer asks are clamped to it.
     * A delayed job holds a render slot while it waits, so an unbounded delay lets one tenant's test
     * jobs block every other tenant's renders.
     */
    sandboxMaxDelaySeconds: int(0, 3600).default(60),
    /** Allow URLs (images, webhooks) that resolve to private/loopback addresses: self-hosted setups and tests only. */
    allowPrivateUrls: bool.default(false),
    /** Allow plain http:// URLs for images and webhooks. */
    allowHttpUrls: bool.default(false),
    /** Optional JSON file overriding the default price book. */
    priceBookFile: z.string().optional(),
    /** Operator token for `/admin` routes (and `/metrics` on the API port); unset disables them. */
    adminToken: z.string().min(16).optional(),
    /** Serve `/metrics` without a token on this port of its own (and not on the API port). */
    metricsPort: int(1, 65535).optional(),
    /** Where the metrics port listens: keep it on a private interface. */
    metricsHost: z.string().min(1).default('127.0.0.1'),
    /** Credits the first account starts with. */
    initialTestCredits: int(0, 1e12).default(5000),
    initialLiveCredits: int(0, 1e12).default(0),
    /** US dollars per credit, for display. */
    usdPerCredit: z.coerce.number().positive().default(0.01),
    /** WaveSpeed's `enable_sync_mode`: how long a submit may wait for its result. */
    syncWaitSeconds: int(1, 600).default(120),
    /** Where results live: unset = `<dataDir>/files`; `s3://bucket/prefix` = an S3-compatible bucket. */
    storage: z.string().regex(/^s3:\/\/[^/]+/, 'must be s3://bucket/prefix').optional(),
    s3Endpoint: z.string().url().optional(),
    s3Region: z.string().default('us-east-1'),
    s3ForcePathStyle: bool.default(false),
    s3AccessKeyId: z.string().optional(),
    s3SecretAccessKey: z.string().optional(),
    /** Print the first-start banner with a test key. */
    printBanner: bool.default(true),
    /** Budget for one webhook delivery (DNS, connect, send, answer); Standard Webhooks suggests 15–30 s. */
    webhookTimeoutMs: int(50, 120_000).default(15_000),
    /** Delay before each webhook attempt, the first measured from the event, the rest from the previous failure; its length is the number of attempts. */
    webhookRetryScheduleMs: msList.default([...DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS]),
    /** Longest wait a receiver's `Retry-After` (on 429/503) can impose before the next attempt. */
    webhookRetryAfterMaxMs: int(0, 7 * 24 * 3600 * 1000).default(3_600_000),
    /** How long the previous signing secret keeps signing (as a second `v1,` entry) after a rotation. */
    webhookSecretRotationWindowSeconds: int(0, 30 * 24 * 3600).default(24 * 3600),
    /** Webhook deliveries one process sends at once, and at most how many of them to one host. */
    webhookConcurrency: int(1, 1000).default(16),
    webhookHostConcurrency: int(1, 100).default(4),
    /** MiniMax API key; unset means live Hailuo jobs are refused at submit (503, nothing charged). */
    minimaxApiKey: z.string().min(1).optional(),
    /** MiniMax API host: global `https://api.minimax.io`, or `https://api.minimaxi.com` for China-region keys. */
    minimaxBaseUrl: z.string().url().default('https://api.minimax.io'),
    /** One MiniMax API call's time limit, connect to last byte (a create carries up to a 20 MB image). */
    minimaxTimeoutMs: int(100, 300_000).default(30_000),
    /** Create calls per budget window: MiniMax publishes 20 RPM for the Hailuo series (5 on older accounts). */
    minimaxSubmitsPerWindow: int(1, 100_000).default(20),
    /** Status calls (query + files/retrieve) per budget window: 20 creates/min × ~6 polls each (docs/minimax.md). */
    minimaxStatusCallsPerWindow: int(1, 100_000).default(120),
    /** MiniMax calls in flight at once, across every worker process. */
    minimaxMaxConcurrentCalls: int(1, 1000).default(8),
    /** The budget's sliding window; 60000 means "per minute". */
    minimaxBudgetWindowMs: int(100, 3_600_000).default(60_000),
    /** Poll interval after the first poll (MiniMax recommends 10 s); it grows ×1.25 up to the max. */
    minimaxPollMinIntervalMs: int(10, 600_000).default(10_000),
    minimaxPollMaxIntervalMs: int(10, 3_600_000).default(60_000),
    /** WaveSpeedAI API key; set alone, live jobs go to WaveSpeed (docs/providers.md). */
    wavespeedApiKey: z.string().min(1).optional(),
    wavespeedBaseUrl: z.string().url().default('https://api.wavespeed.ai'),
    /** fal.ai key (`Authorization: Key …`); set alone, live jobs go to fal. */
    falKey: z.string().min(1).optional(),
    /** fal's queue host (submit, status, result, cancel). */
    falBaseUrl: z.string().url().default('https://queue.fal.run'),
    /** fal's webhook signing key set (JWKS). */
    falJwksUrl: z.string().url().default('https://rest.alpha.fal.ai/.well-known/jwks.json'),
    /** Replicate API token (`r8_…`); set alone, live jobs go to Replicate. */
    replicateApiToken: z.string().min(1).optional(),
    replicateBaseUrl: z.string().url().default('https://api.replicate.com/v1'),
    /** One WaveSpeed/fal/Replicate API call's time limit, connect to last byte. */
    upstreamTimeoutMs: int(100, 300_000).default(30_000),
    /** Their poll interval after the first poll (at 0.6 × typical); it grows ×1.25 up to the max. */
    upstreamPollMinIntervalMs: int(10, 600_000).default(5_000),
    upstreamPollMaxIntervalMs: int(10, 3_600_000).default(30_000),
    /** Per-provider call budgets (wavespeed, fal, replicate), over each provider's defaults (docs/providers.md). */
    providerBudgets: json(
      z.record(
        z.string(),
        z
          .object({
            submitsPerWindow: z.number().int().min(1).max(100_000).optional(),
            statusCallsPerWindow: z.number().int().min(1).max(100_000).optional(),
            maxConcurrentCalls: z.number().int().min(1).max(1000).optional(),
            windowMs: z.number().int().min(100).max(3_600_000).optional(),
          })
          .strict(),
      ),
    ).default({}),
    /** Corrections of upstream model ids: provider → variant (`t2v-768p` … `fast-1080p`) → id. */
    upstreamModelIds: json(z.record(z.string(), z.partialRecord(z.enum(['t2v-768p', 't2v-1080p', 'i2v-768p', 'i2v-1080p', 'fast-768p', 'fast-1080p']), z.string().min(1)))).default({}),
    /** How long a provider that answered "bad key" or "no balance" is skipped by routing. */
    providerCooldownSeconds: int(1, 7 * 24 * 3600).default(300),
    /**
     * Live providers per model: tiers in order, the first tier with a provider not resting serves
     * and the rest are fallbacks. A tier is `"name"`, `"name:weight"` or a list of them that share
     * its traffic by weight (`{"hailuo-2.3": ["minimax", ["fal:2", "replicate:1"]]}`). Default:
     * every configured provider, MiniMax first.
     */
    liveRoutes: json(
      z.record(z.string(), z.array(z.union([z.string().regex(ROUTE_ENTRY), z.array(z.string().regex(ROUTE_ENTRY)).min(1)])).min(1)),
    ).optional(),
    /** Per-model overrides of the catalog's typical generation time, which schedules the first status poll. */
    modelTimings: json(
      z.record(
        z.string(),
        z
          .object({
            typicalSeconds: z.number().positive().max(86_400).optional(),
            /** Unfinished this long after submit, a job is failed and refunded by the sweeper. */
            deadlineSeconds: z.number().int().min(60).max(7 * 86_400).optional(),
          })
          .strict(),
      ),
    ).default({}),
    /**
     * Plans to create or overwrite at start (config file or REELAY_PLANS as JSON); unset keeps the
     * shipped free/pro/enterprise defaults and any edits made through the admin API.
     */
    plans: json(
      z.array(
        z
          .object({
            id: z.string().min(1),
            name: z.string().min(1),
            monthlyCredits: z.number().int().min(0),
            concurrency: z.number().int().min(1),
            rateLimitPerMinute: z.number().int().min(1),
          })
          .strict(),
      ),
    ).optional(),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Environment variable → config field. */
const ENV_MAP: Record<string, keyof z.infer<typeof configSchema>> = {
  PORT: 'port',
  HOST: 'host',
  REELAY_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  REELAY_DATABASE_SCHEMA: 'databaseSchema',
  PUBLIC_URL: 'publicUrl',
  REELAY_ROLE: 'role',
  LOG_LEVEL: 'logLevel',
  REELAY_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  REELAY_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  REELAY_FILE_URL_TTL_SECONDS: 'fileUrlTtlSeconds',
  REELAY_RETENTION_HOURS: 'retentionHours',
  REELAY_LEASE_SECONDS: 'leaseSeconds',
  REELAY_WORKER_IDLE_POLL_MS: 'workerIdlePollMs',
  REELAY_WORKER_STOP_GRACE_MS: 'workerStopGraceMs',
  REELAY_WORKER_CONCURRENCY: 'workerConcurrency',
  REELAY_SANDBOX_CONCURRENCY: 'sandboxConcurrency',
  REELAY_SANDBOX_MAX_DELAY_SECONDS: 'sandboxMaxDelaySeconds',
  REELAY_ALLOW_PRIVATE_URLS: 'allowPrivateUrls',
  REELAY_ALLOW_HTTP_URLS: 'allowHttpUrls',
  REELAY_PRICE_BOOK: 'priceBookFile',
  REELAY_ADMIN_TOKEN: 'adminToken',
  METRICS_PORT: 'metricsPort',
  METRICS_HOST: 'metricsHost',
  REELAY_INITIAL_TEST_CREDITS: 'initialTestCredits',
  REELAY_INITIAL_LIVE_CREDITS: 'initialLiveCredits',
  REELAY_USD_PER_CREDIT: 'usdPerCredit',
  REELAY_PRINT_BANNER: 'printBanner',
  REELAY_STORAGE: 'storage',
  S3_ENDPOINT: 's3Endpoint',
  AWS_REGION: 's3Region',
  S3_FORCE_PATH_STYLE: 's3ForcePathStyle',
  AWS_ACCESS_KEY_ID: 's3AccessKeyId',
  AWS_SECRET_ACCESS_KEY: 's3SecretAccessKey',
  REELAY_SYNC_WAIT_SECONDS: 'syncWaitSeconds',
  REELAY_WEBHOOK_TIMEOUT_MS: 'webhookTimeoutMs',
  REELAY_WEBHOOK_RETRY_SCHEDULE_MS: 'webhookRetryScheduleMs',
  REELAY_WEBHOOK_RETRY_AFTER_MAX_MS: 'webhookRetryAfterMaxMs',
  REELAY_WEBHOOK_SECRET_ROTATION_WINDOW_SECONDS: 'webhookSecretRotationWindowSeconds',
  REELAY_WEBHOOK_CONCURRENCY: 'webhookConcurrency',
  REELAY_WEBHOOK_HOST_CONCURRENCY: 'webhookHostConcurrency',
  MINIMAX_API_KEY: 'minimaxApiKey',
  MINIMAX_BASE_URL: 'minimaxBaseUrl',
  REELAY_MINIMAX_TIMEOUT_MS: 'minimaxTimeoutMs',
  REELAY_MINIMAX_SUBMITS_PER_WINDOW: 'minimaxSubmitsPerWindow',
  REELAY_MINIMAX_STATUS_CALLS_PER_WINDOW: 'minimaxStatusCallsPerWindow',
  REELAY_MINIMAX_MAX_CONCURRENT_CALLS: 'minimaxMaxConcurrentCalls',
  REELAY_MINIMAX_BUDGET_WINDOW_MS: 'minimaxBudgetWindowMs',
  REELAY_MINIMAX_POLL_MIN_INTERVAL_MS: 'minimaxPollMinIntervalMs',
  REELAY_MINIMAX_POLL_MAX_INTERVAL_MS: 'minimaxPollMaxIntervalMs',
  WAVESPEED_API_KEY: 'wavespeedApiKey',
  WAVESPEED_BASE_URL: 'wavespeedBaseUrl',
  FAL_KEY: 'falKey',
  FAL_BASE_URL: 'falBaseUrl',
  FAL_QUEUE_URL: 'falBaseUrl',
  FAL_JWKS_URL: 'falJwksUrl',
  REPLICATE_API_TOKEN: 'replicateApiToken',
  REPLICATE_BASE_URL: 'replicateBaseUrl',
  REELAY_UPSTREAM_TIMEOUT_MS: 'upstreamTimeoutMs',
  REELAY_UPSTREAM_POLL_MIN_INTERVAL_MS: 'upstreamPollMinIntervalMs',
  REELAY_UPSTREAM_POLL_MAX_INTERVAL_MS: 'upstreamPollMaxIntervalMs',
  REELAY_PROVIDER_BUDGETS: 'providerBudgets',
  REELAY_UPSTREAM_MODEL_IDS: 'upstreamModelIds',
  REELAY_PROVIDER_COOLDOWN_SECONDS: 'providerCooldownSeconds',
  REELAY_LIVE_ROUTES: 'liveRoutes',
  REELAY_MODEL_TIMINGS: 'modelTimings',
  REELAY_PLANS: 'plans',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the frozen config from (lowest to highest precedence) defaults, the JSON file named by
 * `REELAY_CONFIG`, the environment and explicit overrides (tests, CLI flags).
 *
 * @example
 * const config = loadConfig(process.env, { port: 0, dataDir: tmp });
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<z.input<typeof configSchema>> = {}): Config {
  const problems: string[] = [];
  let fromFile: Record<string, unknown> = {};
  const file = env.REELAY_CONFIG;
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(resolve(file), 'utf8')) as Record<string, unknown>;
    } catch (err) {
      problems.push(`REELAY_CONFIG (${file}): ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_MAP)) {
    const v = env[name];
    if (v !== undefined && v !== '') fromEnv[key] = v;
  }
  const parsed = configSchema.safeParse({ ...fromFile, ...fromEnv, ...overrides });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      // A list's item reports its index (`webhookRetryScheduleMs.1`); the variable is named by the field.
      const envName = Object.entries(ENV_MAP).find(([, k]) => k === String(issue.path[0]))?.[0];
      problems.push(`${key}${envName ? ` (${envName})` : ''}: ${issue.message}`);
    }
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  return Object.freeze({ ...parsed.data, dataDir: resolve(parsed.data.dataDir) });
}

/** What the `reelay` CLI needs as a client of a running server (not server configuration). */
export interface ClientSettings {
  url: string;
  apiKey: string | undefined;
  adminToken: string | undefined;
  /** True when REELAY_URL was set explicitly (admin commands then go to the server, not the local database). */
  urlGiven: boolean;
}

/**
 * @example
 * const c = loadClientSettings(process.env, { url: flags.url }); // c.url defaults to http://localhost:8080
 */
export function loadClientSettings(env: NodeJS.ProcessEnv, flags: { url?: string | undefined; apiKey?: string | undefined; adminToken?: string | undefined } = {}): ClientSettings {
  const url = flags.url ?? env.REELAY_URL;
  return {
    url: (url ?? `http://localhost:${env.PORT ?? 8080}`).replace(/\/+$/, ''),
    apiKey: flags.apiKey ?? env.REELAY_API_KEY,
    adminToken: flags.adminToken ?? env.REELAY_ADMIN_TOKEN,
    urlGiven: url !== undefined,
  };
}

/**
 * The stop grace in effect: the configured one, else long enough for a create call in flight to
 * end by itself (a cut-off create may have made an upstream task we never learn the id of).
 *
 * @example
 * workerStopGraceMs(loadConfig()) // 35000 with the default 30 s MiniMax timeout
 */
export function workerStopGraceMs(c: Pick<Config, 'workerStopGraceMs' | 'minimaxTimeoutMs'>): number {
  return c.workerStopGraceMs ?? Math.max(10_000, c.minimaxTimeoutMs + 5_000);
}
