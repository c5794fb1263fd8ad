// The admin console (README: "Admin console"): Preact pages over the management API, bundled by
// esbuild when first asked for (console/routes.ts serves it under a strict CSP).
import { render } from 'preact';
import { LocationProvider, Route, Router } from 'preact-iso';
import { Layout } from './components.tsx';
import { ApplicationPage, NewApplicationPage } from './pages/application.tsx';
import { ApplicationsPage } from './pages/applications.tsx';
import { AuditPage } from './pages/audit.tsx';
import { LogoutPage, LogoutsPage } from './pages/logouts.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { UserPage } from './pages/user.tsx';
import { UsersPage } from './pages/users.tsx';

function NotFound() {
  return <p>No such page. <a href="/admin">Back to the overview</a></p>;
}

function App() {
  return (
    <LocationProvider scope="/admin">
      <Layout>
        <Router>
          <Route path="/admin" component={OverviewPage} />
          <Route path="/admin/users" component={UsersPage} />
          <Route path="/admin/users/:id" component={UserPage} />
          <Route path="/admin/logouts" component={LogoutsPage} />
          <Route path="/admin/logouts/:id" component={LogoutPage} />
          <Route path="/admin/applications" component={ApplicationsPage} />
          <Route path="/admin/applications/new" component={NewApplicationPage} />
          <Route path="/admin/applications/:id" component={ApplicationPage} />
          <Route path="/admin/audit" component={AuditPage} />
          <Route default component={NotFound} />
        </Router>
      </Layout>
    </LocationProvider>
  );
}

render(<App />, document.getElementById('app')!);
