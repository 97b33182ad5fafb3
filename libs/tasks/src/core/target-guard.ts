import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** A target the guard refuses: recorded as a failed delivery, never retried. */
export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/** Resolves a host name to every address (`dns.lookup(host, { all: true })` by default). */
export type ResolveHost = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The address the request must connect to, checked once: no second lookup can rebind it. */
export interface VettedTarget {
  url: URL;
  /** Host name without IPv6 brackets (also the TLS server name). */
  hostname: string;
  address: string;
  family: 4 | 6;
}

const HINT = 'set WEBHOOK_ALLOW_PRIVATE=1 (webhooks.allowPrivate) to allow private targets';

/**
 * Resolves the URL's host and checks EVERY address it resolves to: one
 * private, loopback, link-local, unique-local, unspecified, multicast or
 * reserved address (or an IPv4-mapped/NAT64/6to4 form of one) refuses the
 * target. The caller connects to the returned address, so DNS rebinding
 * between this check and the connection is not possible.
 */
export async function resolveTarget(
  url: URL,
  options: { allowPrivate: boolean; resolve?: ResolveHost },
): Promise<VettedTarget> {
  const hostname = unbracket(url.hostname);
  const literal = isIP(hostname);
  const addresses = literal
    ? [{ address: hostname, family: literal }]
    : await (options.resolve ?? systemResolver)(hostname);
  if (addresses.length === 0) throw new Error(`${hostname} resolves to no address`);
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const range = classifyAddress(address);
      if (range === null) continue;
      throw new TargetRefusedError(
        literal
          ? `target refused: ${address} is a ${range} address; ${HINT}`
          : `target refused: ${hostname} resolves to ${address}, a ${range} address; ${HINT}`,
      );
    }
  }
  const first = addresses[0];
  return { url, hostname, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * What can be told from the URL alone (no DNS): `localhost` names and
 * literal addresses in a refused range. Null when nothing is wrong yet.
 */
export function literalTargetProblem(url: URL): string | null {
  const hostname = unbracket(url.hostname).toLowerCase().replace(/\.$/, '');
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    return `must not target ${hostname} (loopback) unless private targets are allowed`;
  }
  if (!isIP(hostname)) return null;
  const range = classifyAddress(hostname);
  return range ? `must not target ${hostname} (${range}) unless private targets are allowed` : null;
}

/** The refused range an address falls in, e.g. `loopback`; null for a public address. */
export function classifyAddress(address: string): string | null {
  const plain = address.split('%')[0];
  const family = isIP(plain);
  if (family === 4) return classifyV4(ipv4ToInt(plain));
  if (family === 6) return classifyV6(ipv6ToBigInt(plain));
  return 'invalid';
}

type V4Range = [base: string, prefix: number, label: string];
const V4_RANGES: V4Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved (benchmarking)'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V4_MASKS = V4_RANGES.map(([base, prefix, label]) => {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ipv4ToInt(base) & mask) >>> 0, mask, label };
});

function classifyV4(ip: number): string | null {
  for (const { network, mask, label } of V4_MASKS) if ((ip & mask) >>> 0 === network) return label;
  return null;
}

type V6Range = [base: string, prefix: number, label: string | 'embedded-v4' | '6to4'];
const V6_RANGES: V6Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'embedded-v4'], // IPv4-mapped
  ['::', 96, 'embedded-v4'], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96, 'embedded-v4'], // NAT64
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64
  ['100::', 64, 'reserved (discard)'],
  ['2001::', 32, 'reserved (Teredo)'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];
const ALL_ONES = (1n << 128n) - 1n;
const V6_MASKS = V6_RANGES.map(([base, prefix, label]) => {
  const mask = (ALL_ONES << BigInt(128 - prefix)) & ALL_ONES;
  return { network: ipv6ToBigInt(base) & mask, mask, label };
});

function classifyV6(ip: bigint): string | null {
  for (const { network, mask, label } of V6_MASKS) {
    if ((ip & mask) !== network) continue;
    if (label === 'embedded-v4') return classifyV4(Number(ip & 0xffffffffn));
    if (label === '6to4') return classifyV4(Number((ip >> 80n) & 0xffffffffn));
    return label;
  }
  return null;
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part || '0', 16)), 0n);
}
