/**
 * Which IP addresses an outbound request may reach. Pure functions over address strings: no DNS,
 * no sockets, so the whole table is testable without a network.
 *
 * IPv4 is a deny-list of the IANA special-purpose ranges. IPv6 is an allow-list: only 2000::/3 is
 * allocated as global unicast today, so everything outside it is refused without having to name
 * each odd range (site-local, discard-only, SRv6 …). Forms that embed an IPv4 address (mapped,
 * compatible, SIIT, NAT64, 6to4) are judged by the IPv4 address inside, because that is where the
 * packet ends up.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Why an address is (or is not) reachable. `public` is the only class a default policy allows. */
export type AddressClass =
  | 'public'
  | 'invalid'
  | 'metadata'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

type Range = readonly [prefix: string, bits: number, cls: AddressClass];

/**
 * Cloud instance-metadata endpoints. They hand out credentials to anyone who can make the host
 * send a GET, and no image or webhook is ever legitimately served from them, so they are refused
 * even when private networks are allowed. 168.63.129.16 is Azure's WireServer: a public-looking
 * address that is only routed inside Azure.
 */
const METADATA_V4: readonly string[] = ['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192', '168.63.129.16'];
const METADATA_V6: readonly string[] = ['fd00:ec2::254'];

/** Host names that reach a metadata service through the platform's resolver. Compared lower-case, without a trailing dot. */
const METADATA_HOSTS: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** IPv4 special-purpose ranges (RFC 6890 and successors). First match wins, so narrower ranges come first. */
const V4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** Ranges carved out of 2000::/3 (the global unicast block), then the named classes outside it. */
const V6_RANGES: readonly Range[] = [
  ['2001:2::', 48, 'benchmarking'],
  ['2001::', 23, 'reserved'], // IETF protocol assignments, including Teredo 2001::/32
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique_local'],
  ['fe80::', 10, 'link_local'],
  ['ff00::', 8, 'multicast'],
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64 (RFC 8215)
];

/** Dotted quad → 4 bytes. Callers have already checked `isIPv4`. */
function parseV4(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

/** Any valid IPv6 text (with `::`, an embedded dotted quad or a zone id) → 16 bytes. */
function parseV6(ip: string): Uint8Array {
  const noZone = ip.split('%')[0] ?? '';
  const out = new Uint8Array(16);
  let text = noZone;
  let tail: Uint8Array = new Uint8Array(0);
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = parseV4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...new Array<string>(fill).fill('0'), ...restGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  out.set(tail, 12);
  return out;
}

function inRange(addr: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((addr[i / 8] ?? 0) & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

const V4_TABLE = V4_RANGES.map(([p, bits, cls]) => ({ prefix: parseV4(p), bits, cls }));
const V6_TABLE = V6_RANGES.map(([p, bits, cls]) => ({ prefix: parseV6(p), bits, cls }));
const METADATA_V4_SET: ReadonlySet<string> = new Set(METADATA_V4);
const METADATA_V6_BYTES = METADATA_V6.map(parseV6);

/** IPv6 forms that carry an IPv4 address: prefix, prefix length, byte offset of the IPv4 inside. */
const V4_EMBEDDINGS: readonly { prefix: Uint8Array; bits: number; at: number }[] = [
  { prefix: parseV6('::ffff:0:0'), bits: 96, at: 12 }, // IPv4-mapped
  { prefix: parseV6('::ffff:0:0:0'), bits: 96, at: 12 }, // IPv4-translated (SIIT)
  { prefix: parseV6('64:ff9b::'), bits: 96, at: 12 }, // well-known NAT64
  { prefix: parseV6('2002::'), bits: 16, at: 2 }, // 6to4
  { prefix: parseV6('::'), bits: 96, at: 12 }, // IPv4-compatible (deprecated); :: and ::1 are caught first
];

function classifyV4(bytes: Uint8Array): AddressClass {
  if (METADATA_V4_SET.has(bytes.join('.'))) return 'metadata';
  for (const r of V4_TABLE) if (inRange(bytes, r.prefix, r.bits)) return r.cls;
  return 'public';
}

function classifyV6(bytes: Uint8Array): AddressClass {
  if (bytes.every((b) => b === 0)) return 'unspecified';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return 'loopback';
  if (METADATA_V6_BYTES.some((m) => inRange(bytes, m, 128))) return 'metadata';
  for (const e of V4_EMBEDDINGS) {
    if (inRange(bytes, e.prefix, e.bits)) return classifyV4(bytes.slice(e.at, e.at + 4));
  }
  for (const r of V6_TABLE) if (inRange(bytes, r.prefix, r.bits)) return r.cls;
  // Only 2000::/3 is global unicast; anything else (site-local, discard-only …) is not a destination.
  return ((bytes[0] ?? 0) & 0xe0) === 0x20 ? 'public' : 'reserved';
}

/**
 * Classify an IP address. Anything that is not a valid IPv4/IPv6 literal is `invalid`, so callers
 * fail closed on odd input.
 *
 * @example
 * classifyAddress('::ffff:10.0.0.1'); // 'private' — judged by the embedded IPv4
 * classifyAddress('169.254.169.254'); // 'metadata'
 */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (isIPv4(bare)) return classifyV4(parseV4(bare));
  if (isIPv6(bare)) return classifyV6(parseV6(bare));
  return 'invalid';
}

/**
 * True when an address is globally routable, i.e. not private, loopback, link-local, metadata,
 * multicast, reserved or an IPv6 form embedding such an IPv4 address.
 *
 * @example
 * isPublicAddress('8.8.8.8'); // true
 * isPublicAddress('127.0.0.1'); // false
 * isPublicAddress('64:ff9b::a00:1'); // false — NAT64 of 10.0.0.1
 */
export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip) === 'public';
}

/**
 * True for host names that resolve to a cloud metadata service (e.g. `metadata.google.internal`).
 *
 * @example
 * isMetadataHostname('Metadata.Google.Internal.'); // true
 */
export function isMetadataHostname(hostname: string): boolean {
  return METADATA_HOSTS.has(hostname.toLowerCase().replace(/\.$/, ''));
}

const DESCRIPTIONS: Record<AddressClass, string> = {
  public: 'a public address',
  invalid: 'an invalid address',
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private network address',
  shared: 'a carrier-grade NAT address',
  link_local: 'a link-local address',
  unique_local: 'a unique-local IPv6 address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  documentation: 'a documentation-only address',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved address',
};

/**
 * Words for an address class, for error messages ("resolves to a loopback address").
 *
 * @example
 * describeAddressClass('shared'); // 'a carrier-grade NAT address'
 */
export function describeAddressClass(cls: AddressClass): string {
  return DESCRIPTIONS[cls];
}
