/** The shapes the Studio reads from Reelay's `/v2` and `/admin` APIs (see README and src/http). */

export type JobStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export type KeyMode = 'live' | 'test';

export interface JobResult {
  videoUrl: string;
  posterUrl: string;
  urlExpiresAt: string;
  contentType: string;
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  bytes: number;
  sha256: string;
}

export interface Job {
  id: string;
  status: JobStatus;
  model: string;
  progress: number;
  result: JobResult | null;
  error: string | null;
  errorCode: string | null;
  creditCost: number;
  webhookStatus: string | null;
  /** The body as submitted (a data: URI image is shortened). */
  input: Record<string, unknown>;
  expired: boolean;
  mode: KeyMode;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

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

export interface LedgerEntry {
  id: number;
  mode: KeyMode;
  kind: string;
  from: string;
  to: string;
  amount: number;
  jobId: string | null;
  actor: string;
  reason: string;
  createdAt: string;
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
