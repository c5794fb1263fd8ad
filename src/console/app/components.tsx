import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { me, signOut, type ApiError } from './api.ts';

const NAV = [
  ['/admin', 'Overview'],
  ['/admin/users', 'Users'],
  ['/admin/logouts', 'Logouts'],
  ['/admin/applications', 'Applications'],
  ['/admin/audit', 'Audit log'],
] as const;

export function Layout({ children }: { children: ComponentChildren }) {
  const { path } = useLocation();
  const who = me();
  const current = (href: string) => (href === '/admin' ? path === '/admin' || path === '/admin/' : path.startsWith(href));
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">{who.tenant} console</span>
        <nav aria-label="Console">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}><a href={href} aria-current={current(href) ? 'page' : undefined}>{label}</a></li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {who.name}{who.scopes.includes('write:management') ? '' : ' (read only)'}
          <button type="button" class="link" onClick={() => void signOut()}>Sign out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}

export function Page({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  document.title = `${title} · ${me().tenant} console`;
  return (
    <>
      <div class="page-head"><h1>{title}</h1>{actions && <div class="actions">{actions}</div>}</div>
      {children}
    </>
  );
}

/**
 * A table that may scroll sideways (a phone, a wide matrix): a labelled region the keyboard can
 * reach, so it can be scrolled without a mouse (WCAG 2.1.1; axe: scrollable-region-focusable).
 */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>{children}</div>;
}

export function ErrorNote({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return <p role="alert" class="error"><strong>{error.title}</strong>{error.detail ? `: ${error.detail}` : ''}</p>;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

/** A status never shown by colour alone: a symbol and words. */
export function Badge({ tone, children }: { tone: 'ok' | 'bad' | 'wait' | 'off'; children: ComponentChildren }) {
  const symbol = { ok: '✓', bad: '✕', wait: '…', off: '–' }[tone];
  return <span class={`badge ${tone}`}><span aria-hidden="true">{symbol} </span>{children}</span>;
}

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  return <time dateTime={at} title={d.toISOString()}>{d.toLocaleString()}</time>;
}

export function Ms({ value }: { value: number | null | undefined }) {
  return value == null ? <span class="muted">—</span> : <>{value.toLocaleString()} ms</>;
}

export const triggerText: Record<string, string> = {
  user_logout: 'signed out', rp_logout: 'app signed them out', saml_logout: 'SAML app signed them out', account_switch: 'another account signed in',
  admin: 'admin ended the session', admin_all: 'admin: sign out everywhere', expired: 'expired', account_deleted: 'account deleted',
  password_changed: 'password changed',
};

export const channelText: Record<string, string> = {
  backchannel: 'back-channel', frontchannel: 'front-channel', legacy_get: 'logout URL (GET)', saml_soap: 'SAML SOAP', saml_redirect: 'SAML Redirect',
  saml_post: 'SAML POST', saml_top_level: 'SAML (window)', none: 'no logout URL', initiator: 'asked for it',
};
