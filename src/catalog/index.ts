export {
  MODELS,
  RESOLUTIONS,
  DURATIONS,
  PROMPT_MAX_CHARS,
  findModel,
  checkRequest,
  resolveRequest,
  wordViolations,
  RULE_IDS,
  type ModelSpec,
  type GenerateDraft,
  type RuleId,
  type RuleWording,
  type GenerateRequest,
  type CanonicalField,
  type RuleViolation,
  type Resolution,
  type Duration,
  type Mode,
} from './models.js';
export { DEFAULT_PRICE_BOOK, loadPriceBook, loadUpstreamCosts, priceOf, priceKey, combosOf, type PriceBook, type UpstreamCostOverrides } from './prices.js';
export { describeCatalog, type CatalogEntry } from './describe.js';
