/**
 * The URL the logout page frames for an application: Front-Channel Logout 1.0 §2 adds `iss` and
 * `sid` when the client requires the session; legacy GET logout URLs are used as registered.
 */
export function browserLogoutUrl(d: { channel: string; target: string | null; include_sid: boolean; sid: string | null }, issuer: string): URL | undefined {
  const url = URL.parse(d.target ?? '');
  if (!url) return undefined;
  if (d.channel === 'frontchannel' && d.include_sid && d.sid) {
    url.searchParams.set('iss', issuer);
    url.searchParams.set('sid', d.sid);
  }
  return url;
}
