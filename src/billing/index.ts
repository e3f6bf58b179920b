export { createApiKey, verifyApiKey, revokeApiKey, type Principal, type KeyMode, type Scope } from './keys.js';
export { PrincipalCache, PRINCIPALS_CHANNEL, type PrincipalCacheOptions } from './principals.js';
export { MemoryRateLimiter, SharedRateLimiter, rateLimiterFor, type RateLimiter, type SharedRateLimiterOptions } from './ratelimit.js';
export {
  captureCredits,
  releaseCredits,
  grantCredits,
  readWallets,
  type WalletView,
} from './wallet.js';
export { DEFAULT_PLANS, seedPlans, createAccount, bootstrapFirstAccount, type PlanSpec } from './accounts.js';
export { pruneRateWindows, type RateDecision } from './limits.js';
export { applyMonthlyGrants, periodOf } from './grants.js';
export { AdminService, type AccountView, type KeyView, type LedgerEntry, type PlanView } from './admin.js';
export { marginReport, parseSince, type MarginReport, type MarginRow } from './margins.js';
