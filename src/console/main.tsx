import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { Link } from './components/link.tsx';
import { authHeaders, setUnauthorizedHandler } from './lib/api.ts';
import { navigate, usePath } from './lib/router.ts';
import type { Credential } from './lib/session.ts';
import { clearCredential, loadCredential } from './lib/session.ts';
import { CasePage } from './pages/case.tsx';
import { CasesPage } from './pages/cases.tsx';
import { DashboardsPage } from './pages/dashboards.tsx';
import { DecisionPage } from './pages/decision.tsx';
import { DecisionsPage } from './pages/decisions.tsx';
import { PerformancePage } from './pages/performance.tsx';
import { RulesPage } from './pages/rules.tsx';
import { SignInPage } from './pages/sign-in.tsx';

function Page(props: { path: string }) {
  const { path } = props;
  if (path === '/' || path === '/decisions') return <DecisionsPage />;
  const decision = /^\/decisions\/(.+)$/.exec(path);
  if (decision !== null) return <DecisionPage id={decodeURIComponent(decision[1] ?? '')} />;
  if (path === '/cases') return <CasesPage />;
  const reviewCase = /^\/cases\/(.+)$/.exec(path);
  if (reviewCase !== null) return <CasePage id={decodeURIComponent(reviewCase[1] ?? '')} />;
  if (path === '/rules') return <RulesPage />;
  if (path === '/performance') return <PerformancePage />;
  if (path === '/dashboards') return <DashboardsPage />;
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>
        Nothing at <code>{path}</code>. <Link to="/">Live decisions</Link>
      </p>
    </main>
  );
}

function App() {
  const path = usePath();
  const [credential, setCredential] = useState<Credential | null>(loadCredential());
  useEffect(() => setUnauthorizedHandler(() => setCredential(null)), []);
  if (credential === null) return <SignInPage onSignedIn={setCredential} />;
  const tab = (to: string, label: string, active: boolean) => (
    <Link to={to} class={active ? 'tab active' : 'tab'}>
      {label}
    </Link>
  );
  return (
    <>
      <header class="top">
        <span class="brand">Risk console</span>
        <nav>
          {tab('/', 'Live decisions', path === '/' || path.startsWith('/decisions'))}
          {tab('/cases', 'Cases', path.startsWith('/cases'))}
          {tab('/rules', 'Rules', path === '/rules')}
          {tab('/performance', 'Performance', path === '/performance')}
          {tab('/dashboards', 'Dashboards', path === '/dashboards')}
        </nav>
        <span class="who">
          {credential.kind === 'session'
            ? `${credential.user} (${credential.role})`
            : 'signed in with a token'}
          <button
            class="link"
            onClick={() => {
              // A password session also ends on the service (its cookie stops working).
              if (credential.kind === 'session')
                void fetch('/v1/session', {
                  method: 'DELETE',
                  headers: authHeaders(),
                  credentials: 'same-origin',
                }).catch(() => undefined);
              clearCredential();
              setCredential(null);
              navigate('/');
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <Page path={path} />
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
