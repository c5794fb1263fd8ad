/** `host` or `*.suffix` patterns; matching is on the URL's host name, case-insensitive. */
function matches(hostname: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p.replace(/^\[|\]$/g, '');
}

/**
 * The admin's allow/deny list for back-channel targets. Loopback and private addresses are
 * allowed by default (internal applications are the normal case); a deny entry always wins.
 */
export function hostPolicy(allowed: string[], denied: string[]) {
  return (target: string): string | undefined => {
    const url = URL.parse(target);
    if (!url) return 'target is not a URL';
    if (denied.some((p) => matches(url.hostname, p))) return `host ${url.hostname} is denied by logout.backchannel.denied_hosts`;
    if (allowed.length && !allowed.some((p) => matches(url.hostname, p))) return `host ${url.hostname} is not in logout.backchannel.allowed_hosts`;
    return undefined;
  };
}
