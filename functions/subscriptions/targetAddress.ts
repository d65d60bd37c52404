/**
 * Where a webhook may point. In AWS stages a target must be `https` and must
 * not resolve to a loopback, private, link-local (the instance metadata
 * service, 169.254.169.254 and fd00:ec2::254, is link-local or private) or
 * otherwise reserved address: the dispatcher runs inside the deployment's
 * account, and a webhook must not turn it into a way in (SSRF). The check runs
 * when a subscription is made, and again at each connection, so a name that
 * later resolves elsewhere (DNS rebinding) is refused too.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { BrookError } from '../../protocol/errors.js';

const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, the metadata service
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64 of any IPv4 address
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2002::', 16], // 6to4, which embeds an IPv4 address
  ['fc00::', 7], // unique local (fd00:ec2::254 is here)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail becomes two groups). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const head = parse(left);
  const tail = right === undefined ? [] : parse(right);
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** An IPv4 address carried inside an IPv6 one (IPv4-mapped `::ffff:a.b.c.d` or IPv4-compatible `::a.b.c.d`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).some((group) => group !== 0) || (groups[5] !== 0 && groups[5] !== 0xffff)) return undefined;
  if (groups[5] === 0 && groups[6] === 0) return undefined; // :: and ::1 are checked as IPv6
  return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
}

/** Whether an IP address is one a webhook may not reach in an AWS stage. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  const ipv4 = embeddedIpv4(address);
  // An IPv6 form of an IPv4 address is judged as that address.
  return ipv4 !== undefined ? BLOCKED.check(ipv4, 'ipv4') : BLOCKED.check(address, 'ipv6');
}

function refused(message: string): BrookError {
  return new BrookError('INVALID_REQUEST', message);
}

/** Checks a webhook URL's form: `https` (or `http` where private targets are allowed), no credentials in it. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused(`target.url "${raw.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw refused(`target.url must use https${allowPrivate ? ' or http' : ''}`);
  }
  if (url.username || url.password) throw refused('target.url must not carry credentials: the delivery is signed instead');
  return url;
}

/** Checks that every address the URL's host resolves to may be reached; refuses a host that does not resolve. */
export async function checkWebhookAddresses(url: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  const blocked = addresses.find(isBlockedAddress);
  if (blocked !== undefined) {
    throw refused(`target.url resolves to ${blocked}, a loopback, private, link-local or reserved address: webhooks must be public`);
  }
}

async function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(refused(`target.url host "${host}" does not resolve`));
      else resolve(addresses.map((entry) => entry.address));
    });
  });
}

/**
 * A `lookup` for `http.request` that refuses blocked addresses at connect
 * time (where private targets are not allowed), so the address checked is
 * the address connected to.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction | undefined {
  if (allowPrivate) return undefined;
  return ((hostname: string, options: LookupOneOptions | LookupAllOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const blocked = addresses.find((entry) => isBlockedAddress(entry.address));
      if (blocked) {
        return callback(Object.assign(new Error(`${hostname} resolves to ${blocked.address}, which webhooks may not reach`), { code: 'EBLOCKED' }));
      }
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as LookupFunction;
}
