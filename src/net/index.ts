/**
 * Outbound requests to user-supplied URLs (first-frame images, webhook deliveries). The only
 * import path for other folders: everything here refuses private, loopback and metadata
 * destinations unless a `UrlPolicy` says otherwise.
 */
export {
  safeRequest,
  FetchFailure,
  DEFAULT_URL_POLICY,
  type SafeRequestOptions,
  type SafeResponse,
  type UrlPolicy,
  type FetchFailureKind,
  type HostResolver,
  type ResolvedAddress,
} from './safe-request.js';
export { safeStream, type SafeStreamOptions, type SafeStreamResponse } from './safe-stream.js';
export { isPublicAddress, classifyAddress, describeAddressClass, isMetadataHostname, type AddressClass } from './ip-policy.js';
