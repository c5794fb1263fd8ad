import { html, page, type SafeHtml } from '../http/html.ts';

export interface LoginPageModel {
  uid: string;
  clientName: string;
  databaseConnection?: string;
  upstream: { name: string; label: string }[];
  username?: string;
  error?: string;
}

export function renderLoginPage(m: LoginPageModel): string {
  const form: SafeHtml | '' = m.databaseConnection ? html`
    <form method="post" action="/interaction/${m.uid}/login" novalidate>
      <input type="hidden" name="connection" value="${m.databaseConnection}">
      <label for="username">Email or username</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${m.username ?? ''}" ${m.username ? '' : 'autofocus'}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required ${m.username ? 'autofocus' : ''}>
      <button type="submit">Sign in</button>
    </form>` : '';
  const upstream = m.upstream.map((u) => html`<a class="button secondary" href="/interaction/${m.uid}/upstream/${encodeURIComponent(u.name)}">Continue with ${u.label}</a>`);
  return page(`Sign in to ${m.clientName}`, html`
    <h1>Sign in to ${m.clientName}</h1>
    ${m.error ? html`<p role="alert" class="error" id="login-error">${m.error}</p>` : ''}
    ${form}
    ${m.databaseConnection && upstream.length ? html`<p class="divider">or</p>` : ''}
    ${upstream}
    <form method="post" action="/interaction/${m.uid}/abort"><button type="submit" class="secondary">Cancel</button></form>`);
}
