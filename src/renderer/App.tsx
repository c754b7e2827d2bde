import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { ErrorNote } from './components/ui';
import { onTrayPage } from './bridge';
import { Runs } from './pages/Runs';
import { pageModules } from './pages';

// Only the Runs page is in the entry chunk: its first rows are what the pane must show fastest
// (bench/renderer-bundle.ts), and every byte of the entry is parsed before the history's first
// page is even requested. Every other page (the Overview with its alerts and charts, the login
// form, and cronstrue/croner, which only the Jobs page needs) loads on first visit (pages.ts); the
// page a session opens on starts loading with the entry's first requests (prefetch.ts).
const Login = lazy(() => pageModules.login().then((m) => ({ default: m.Login })));
const Overview = lazy(() => pageModules.overview().then((m) => ({ default: m.Overview })));
const Jobs = lazy(() => pageModules.jobs().then((m) => ({ default: m.Jobs })));
const RunPage = lazy(() => pageModules.run().then((m) => ({ default: m.RunPage })));
const Snapshots = lazy(() => pageModules.snapshots().then((m) => ({ default: m.Snapshots })));
const SnapshotBrowser = lazy(() => pageModules.snapshot().then((m) => ({ default: m.SnapshotBrowser })));
const Recover = lazy(() => pageModules.recover().then((m) => ({ default: m.Recover })));
const Samba = lazy(() => pageModules.samba().then((m) => ({ default: m.Samba })));
const HotSets = lazy(() => pageModules.hotsets().then((m) => ({ default: m.HotSets })));
const Notifications = lazy(() => pageModules.notifications().then((m) => ({ default: m.Notifications })));
const Preferences = lazy(() => pageModules.preferences().then((m) => ({ default: m.Preferences })));
import { useRoute } from './hooks';
import type { Route } from './route';
import { store, usePane } from './store';

const NAV: Array<{ page: Route['page']; href: string; label: string; trayOnly?: boolean }> = [
  { page: 'overview', href: '#/', label: 'Overview' },
  { page: 'jobs', href: '#/jobs', label: 'Jobs' },
  { page: 'runs', href: '#/runs', label: 'Runs' },
  { page: 'snapshots', href: '#/snapshots', label: 'Snapshots' },
  { page: 'recover', href: '#/recover', label: 'Recover' },
  { page: 'samba', href: '#/samba', label: 'Samba' },
  { page: 'hotsets', href: '#/hotsets', label: 'Hot-sets' },
  { page: 'notifications', href: '#/notifications', label: 'Notifications' },
  { page: 'preferences', href: '#/preferences', label: 'Preferences', trayOnly: true },
];

const CONNECTION_TEXT = { live: 'live', connecting: 'connecting…', offline: 'offline: reconnecting' } as const;

export function App() {
  const { token, model, connection, statusError } = usePane();
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    void store.start();
    return () => store.disconnect();
  }, []);
  const pageKey = route.page === 'run' ? `run:${route.id}` : route.page === 'snapshot' ? `snapshot:${route.job}:${route.id}:${route.path}` : route.page;
  useEffect(() => {
    const label = NAV.find((n) => n.page === route.page)?.label ?? (route.page === 'snapshot' ? 'Snapshot' : 'Run');
    document.title = `${label} · Pillars`;
    // A new page starts at its top (a phone kept the old page's scroll, showing blank space) with
    // the menu closed.
    setMenuOpen(false);
    window.scrollTo(0, 0);
  }, [pageKey]);
  // Preferences belong to the tray, not to a server session: they work before pairing, without a token.
  if (route.page === 'preferences' && !token) {
    return (
      <main id="main" className="solo">
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Preferences />
        </Suspense>
      </main>
    );
  }
  if (!token)
    return (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Login />
      </Suspense>
    );
  const status = model.status;
  const inTray = onTrayPage();
  const current = route.page === 'run' ? 'runs' : route.page === 'snapshot' ? 'snapshots' : route.page;
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Pillars</span>
        <span className={`conn ${connection}`} role="status" aria-label={`Live updates: ${CONNECTION_TEXT[connection]}`}>
          {CONNECTION_TEXT[connection]}
        </span>
        {/* Below the width where the links fit, they fold into this menu (styles.css). */}
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="pages-menu" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <div id="pages-menu" className={menuOpen ? 'menu open' : 'menu'}>
          <nav aria-label="Pages">
            <ul>
              {NAV.filter((n) => !n.trayOnly || inTray).map((n) => (
                <li key={n.page}>
                  <a href={n.href} aria-current={current === n.page ? 'page' : undefined} onClick={() => setMenuOpen(false)}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div className="session">
            {status && <span className="muted small">pillarsd {status.version}</span>}
            <button type="button" className="link" onClick={() => store.logout()}>
              Log out
            </button>
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        <ErrorNote error={statusError} />
        <Suspense fallback={<p className="muted">Loading…</p>}>
          {route.page === 'preferences' ? (
            <Preferences />
          ) : route.page === 'run' ? (
            <RunPage id={route.id} />
          ) : route.page === 'snapshot' ? (
            <SnapshotBrowser job={route.job} id={route.id} path={route.path} />
          ) : route.page === 'notifications' ? (
            // admin only: a viewer sees pillarsd's refusal
            <Notifications />
          ) : route.page === 'runs' ? (
            // The history does not wait for the status: both are fetched at once.
            <Runs jobs={status?.jobs.map((j) => j.id) ?? []} job={route.job} statusFilter={route.status} />
          ) : !status ? (
            !statusError && <p className="muted">Loading…</p>
          ) : route.page === 'jobs' ? (
            <Jobs status={status} />
          ) : route.page === 'snapshots' ? (
            <Snapshots status={status} />
          ) : route.page === 'recover' ? (
            <Recover status={status} />
          ) : route.page === 'samba' ? (
            <Samba status={status} />
          ) : route.page === 'hotsets' ? (
            <HotSets status={status} />
          ) : (
            <Overview status={status} />
          )}
        </Suspense>
      </main>
    </>
  );
}
