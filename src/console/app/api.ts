// The console's one way to the management API: /admin/api/v1 (the console's server adds the
// admin's token), the CSRF token on every change, problem details turned into ApiError.

const csrf = () => document.querySelector<HTMLMetaElement>('meta[name="adieu-csrf"]')?.content ?? '';

export interface Me {
  name: string;
  user_id: string;
  scopes: string[];
  tenant: string;
}
export const me = (): Me => JSON.parse(document.querySelector<HTMLMetaElement>('meta[name="adieu-me"]')?.content ?? '{}');
export const canWrite = () => me().scopes.includes('write:management');

/** RFC 9457 problem details, with the field errors the API names. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail: string | undefined, readonly errors: { path?: string; parameter?: string; message: string }[] = []) {
    super(detail ?? title);
  }

  /** The message for one field (its path in the body), if the API named it. */
  field(path: string): string | undefined {
    const messages = this.errors.filter((e) => e.path === path || e.path?.startsWith(`${path}.`)).map((e) => e.message);
    return messages.length ? messages.join('; ') : undefined;
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/admin/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrf() }),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) {
    // the console session (or the SSO session behind it) ended: sign in again, back to this page
    location.assign(`/admin/login?return_to=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'Unauthorized', 'signing in again');
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, data?.title ?? res.statusText, data?.detail, data?.errors);
  return data as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

export async function signOut() {
  const res = await fetch('/admin/logout', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrf() } });
  const body = await res.json() as { logout_url: string };
  location.assign(body.logout_url);
}
