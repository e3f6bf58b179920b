/** The shapes the Studio reads from Reelay's `/v2` and `/admin` APIs (see README and src/http). */

// Job shapes come from the TypeScript client and the ledger entry from billing (type-only
// imports, erased from the browser bundle), so the Studio cannot drift from the API.
export type { JobStatus, JobResult, Job } from '../../../client/index.js';
export type { LedgerEntry } from '../../../billing/index.js';
import type { Job } from '../../../client/index.js';
import type { LedgerEntry } from '../../../billing/index.js';
export type KeyMode = 'live' | 'test';

export interface JobList {
  jobs: Job[];
  nextCursor: string | null;
  hasMore: boolean;
}

export interface Combination {
  resolution: string;
  durationSeconds: number;
  credits: number;
}

export interface CatalogModel {
  id: string;
  label: string;
  description: string;
  modes: string[];
  parameters: { prompt_optimizer?: { default?: boolean }; prompt?: { maxLength?: number } };
  combinations: Combination[];
  costMin: number;
  costMax: number;
  typicalSeconds: number;
}

export interface Wallet {
  available: number;
  held: number;
  spent: number;
}

export interface Me {
  account: { id: string; name: string; plan: string };
  credits: Partial<Record<KeyMode, Wallet>>;
  apiKey: { id: string; name: string; prefix: string; mode: KeyMode };
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  mode: KeyMode;
  createdAt: string;
  revokedAt: string | null;
}

export interface NewApiKey extends ApiKey {
  /** The plaintext, returned once. */
  key: string;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  nextBefore: number | null;
}

export interface Plan {
  id: string;
  name: string;
  monthlyCredits: number;
  concurrency: number;
  rateLimitPerMinute: number;
}

export interface WebhookAttempt {
  attempt: number;
  at: string | null;
  statusCode: number | null;
  error: string | null;
  errorMessage: string | null;
  latencyMs: number;
  responseBody: string | null;
  outcome: string;
}

export interface WebhookDelivery {
  webhookId: string;
  seq: number;
  event: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string | null;
  deliveredAt: string | null;
  payload: string;
  log: WebhookAttempt[];
}

export interface WebhookLog {
  jobId: string;
  webhookUrl: string | null;
  webhookStatus: string | null;
  disabled: boolean;
  deliveries: WebhookDelivery[];
}

export interface WebhookSecret {
  secret: string;
  createdAt: string | null;
  rotatedAt: string | null;
  previousSecretExpiresAt: string | null;
}

export interface AdminAccount {
  id: string;
  name: string;
  plan: string;
  createdAt: string;
  disabled: boolean;
  credits: Record<KeyMode, Wallet>;
}

export type { MarginReport, MarginRow } from '../../../billing/index.js';
export type { ProviderStats } from '../../../providers/index.js';
import type { ProviderStats } from '../../../providers/index.js';

/** `GET /admin/providers`: every provider, each model's route (tiers in order) and measured health. */
export interface ProvidersReport {
  providers: { name: string; kind: 'inline' | 'remote'; resting: { until: string; reason: string } | null }[];
  routes: Record<string, { name: string; weight: number }[][]>;
  stats: ProviderStats[];
}
