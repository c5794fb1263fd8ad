import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { ErrorNote, Loading, Page, TableWrap, When } from '../components.tsx';
import { useApi } from '../hooks.ts';

export interface User {
  id: string;
  username: string;
  email: string | null;
  connection: string;
  roles: string[];
  profile: Record<string, unknown>;
  has_password: boolean;
  created_at: string;
}

export function UsersPage() {
  const { query, route } = useLocation();
  const [q, setQ] = useState(query.q ?? '');
  const path = query.q ? `/users?q=${encodeURIComponent(query.q)}&limit=50` : '/users?limit=50';
  const { data, error } = useApi<{ users: User[] }>(path);
  return (
    <Page title="Users">
      <form role="search" class="search" onSubmit={(e) => { e.preventDefault(); route(q ? `/admin/users?q=${encodeURIComponent(q)}` : '/admin/users'); }}>
        <label for="user-q">Find a user</label>
        <input id="user-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} placeholder="username, email or user id (start of)" />
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={error} />
      {!data ? <Loading what="users" /> : (
        <TableWrap label="Users">
          <table>
            <caption class="sr-only">{query.q ? `Users matching ${query.q}` : 'Users'}</caption>
            <thead><tr><th scope="col">User</th><th scope="col">Email</th><th scope="col">Connection</th><th scope="col">Roles</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {data.users.map((u) => (
                <tr key={u.id}>
                  <th scope="row"><a href={`/admin/users/${encodeURIComponent(u.id)}`}>{u.username}</a></th>
                  <td>{u.email ?? <span class="muted">—</span>}</td><td>{u.connection}</td><td>{u.roles.join(', ') || <span class="muted">—</span>}</td><td><When at={u.created_at} /></td>
                </tr>
              ))}
              {data.users.length === 0 && <tr><td colSpan={5} class="muted">No user matches.</td></tr>}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Page>
  );
}
