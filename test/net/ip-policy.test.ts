import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, isMetadataHostname, isPublicAddress, type AddressClass } from '../../src/net/index.js';

/** Every class the SSRF guard must refuse, with the class we expect to name in the error. */
const BLOCKED: readonly [string, AddressClass][] = [
  // IPv4
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['127.0.0.1', 'loopback'],
  ['127.0.0.2', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.1.1', 'link_local'],
  ['169.254.169.254', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['100.64.0.1', 'shared'],
  ['100.127.255.254', 'shared'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.10', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.1', 'benchmarking'],
  ['192.88.99.1', 'reserved'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // IPv6
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['fe80::1', 'link_local'],
  ['fe80::1%eth0', 'link_local'],
  ['febf::1', 'link_local'],
  ['fc00::1', 'unique_local'],
  ['fd12:3456::1', 'unique_local'],
  ['fd00:ec2::254', 'metadata'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001::1', 'reserved'], // Teredo
  ['2001:2::1', 'benchmarking'],
  ['fec0::1', 'reserved'], // deprecated site-local
  ['100::1', 'reserved'], // discard-only
  ['64:ff9b:1::1', 'private'],
  // IPv6 forms embedding an IPv4 address are judged by that address.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
  ['::ffff:0:10.0.0.1', 'private'], // SIIT
  ['::127.0.0.1', 'loopback'], // IPv4-compatible
  ['::a00:1', 'private'],
  ['64:ff9b::10.0.0.1', 'private'], // NAT64
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['2002:7f00:1::', 'loopback'], // 6to4
  ['2002:c0a8:101::1', 'private'],
];

const PUBLIC: readonly string[] = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '172.32.0.1', // just past 172.16/12
  '100.128.0.1', // just past 100.64/10
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808', // NAT64 of a public address is how IPv6-only hosts reach it
  '2002:808:808::1',
];

void test('every private, special and metadata address class is refused', () => {
  for (const [ip, cls] of BLOCKED) {
    assert.equal(classifyAddress(ip), cls, ip);
    assert.equal(isPublicAddress(ip), false, ip);
  }
});

void test('public IPv4 and IPv6 addresses are allowed', () => {
  for (const ip of PUBLIC) assert.equal(isPublicAddress(ip), true, ip);
});

void test('anything that is not an IP literal fails closed', () => {
  for (const s of ['', 'localhost', '127.1', '0177.0.0.1', '2130706433', '1.2.3.4.5', ':::1', 'gggg::1']) {
    assert.equal(classifyAddress(s), 'invalid', s);
    assert.equal(isPublicAddress(s), false, s);
  }
});

void test('metadata host names are recognised regardless of case and trailing dot', () => {
  assert.equal(isMetadataHostname('metadata.google.internal'), true);
  assert.equal(isMetadataHostname('METADATA.google.internal.'), true);
  assert.equal(isMetadataHostname('metadata.goog'), true);
  assert.equal(isMetadataHostname('example.com'), false);
  assert.equal(isMetadataHostname('metadata.google.internal.example.com'), false);
});
