import { BlockList, isIP } from 'node:net';

// Named address ranges an admin can list instead of spelling out CIDRs.
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
  link_local: ['169.254.0.0/16', 'fe80::/10'],
};
// 0.0.0.0 and :: reach the local host on Linux: never a logout target
const UNSPECIFIED = ['0.0.0.0/8', '::/128'];

/** A host name or address as compared: lower case, no brackets, no trailing dot, IPv4-mapped IPv6 as IPv4. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.+$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) h = mapped[1]!;
  else if (isIP(h) === 6) {
    // ::ffff:7f00:1, the hex form of a mapped IPv4 address
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
    if (hex) {
      const [a, b] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
      h = `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
    }
  }
  return h;
}

interface Patterns { names: Set<string>; suffixes: string[]; addresses: BlockList; any: boolean }

function compile(entries: string[]): Patterns {
  const p: Patterns = { names: new Set(), suffixes: [], addresses: new BlockList(), any: entries.length > 0 };
  const addRange = (range: string) => {
    const [address, bits] = range.split('/') as [string, string | undefined];
    const host = normalizeHost(address);
    const family = isIP(host) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) p.addresses.addAddress(host, family);
    else p.addresses.addSubnet(host, Number(bits), family);
  };
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (NAMED_RANGES[entry]) NAMED_RANGES[entry].forEach(addRange);
    else if (entry.startsWith('*.')) p.suffixes.push(normalizeHost(entry.slice(1)));
    else if (isIP(normalizeHost(entry.split('/')[0]!))) addRange(entry);
    else p.names.add(normalizeHost(entry));
  }
  return p;
}

/** Why `entry` is not a valid allowed_hosts/denied_hosts entry, or undefined. */
export function invalidHostPattern(raw: string): string | undefined {
  const entry = raw.trim().toLowerCase();
  if (NAMED_RANGES[entry]) return undefined;
  const shape = 'must be a host name, *.suffix, an IP address, a CIDR range, or loopback/private/link_local';
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined || !/^(\*\.)?[a-z0-9.:[\]_-]+$/.test(address!)) return shape;
  if (bits !== undefined) {
    const family = isIP(normalizeHost(address!));
    if (!family) return 'a CIDR range needs an IP address before the /';
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return `prefix length must be 0 to ${family === 4 ? 32 : 128}`;
    return undefined;
  }
  return undefined;
}

const family = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');
const unspecified = new BlockList();
for (const r of UNSPECIFIED) {
  const [a, b] = r.split('/') as [string, string];
  unspecified.addSubnet(a, Number(b), family(a));
}

export interface HostPolicy {
  /** Why the URL's host name (or IP literal) is refused, or undefined. Checked at registration, planning and every attempt. */
  checkUrl(target: string): string | undefined;
  /** Why a resolved address is refused, or undefined. Checked when connecting, for names. */
  checkAddress(host: string, address: string): string | undefined;
}

/**
 * The admin's allow/deny lists for back-channel targets: host names, `*.suffix`, IP addresses,
 * CIDR ranges and the names loopback, private and link_local. Loopback and private targets are
 * allowed unless denied (internal applications are the normal case); a deny entry always wins.
 * Names are checked as written and again on the address they resolve to when connecting, so a
 * name that resolves into a denied range (or a DNS answer that changed) is refused too.
 */
export function hostPolicy(allowed: string[], denied: string[]): HostPolicy {
  const allow = compile(allowed);
  const deny = compile(denied);
  const nameMatches = (p: Patterns, host: string) => p.names.has(host) || p.suffixes.some((s) => host.endsWith(s));
  const addressMatches = (p: Patterns, address: string) => !!isIP(address) && p.addresses.check(address, family(address));

  const checkAddress = (host: string, rawAddress: string): string | undefined => {
    const address = normalizeHost(rawAddress);
    const shown = host === address ? address : `${host} (${address})`;
    if (isIP(address) && unspecified.check(address, family(address))) return `host ${shown} is an unspecified address`;
    if (nameMatches(deny, host) || addressMatches(deny, address)) return `host ${shown} is denied by logout.backchannel.denied_hosts`;
    if (allow.any && !nameMatches(allow, host) && !addressMatches(allow, address)) return `host ${shown} is not in logout.backchannel.allowed_hosts`;
    return undefined;
  };

  return {
    checkUrl(target) {
      const url = URL.parse(target);
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return 'target is not an http(s) URL';
      const host = normalizeHost(url.hostname);
      if (isIP(host)) return checkAddress(host, host);
      if (nameMatches(deny, host)) return `host ${host} is denied by logout.backchannel.denied_hosts`;
      // an allow list of addresses only is decided on the resolved address
      if (allow.any && !nameMatches(allow, host) && allow.names.size + allow.suffixes.length > 0 && !hasAddressEntries(allow)) {
        return `host ${host} is not in logout.backchannel.allowed_hosts`;
      }
      return undefined;
    },
    checkAddress(host, address) {
      return checkAddress(normalizeHost(host), address);
    },
  };
}

function hasAddressEntries(p: Patterns): boolean {
  return p.addresses.rules.length > 0;
}
