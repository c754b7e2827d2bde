// Where each page that loads on first visit comes from (every page but Runs, which is in the
// entry: bench/renderer-bundle.ts). App.tsx wraps these in React.lazy; the entry (prefetch.ts)
// calls the current route's loader before React is evaluated, so that page's chunk (and the
// chunks it imports: Vite preloads them beside it) downloads alongside the first requests instead
// of after React's first render and the status. Free of React.
import type { Route } from './route';

export const pageModules = {
  login: () => import('./pages/Login'),
  overview: () => import('./pages/Overview'),
  jobs: () => import('./pages/Jobs'),
  run: () => import('./pages/RunPage'),
  snapshots: () => import('./pages/Snapshots'),
  snapshot: () => import('./pages/SnapshotBrowser'),
  recover: () => import('./pages/Recover'),
  samba: () => import('./pages/Samba'),
  hotsets: () => import('./pages/HotSets'),
  notifications: () => import('./pages/Notifications'),
  preferences: () => import('./pages/Preferences'),
} satisfies Record<Exclude<Route['page'], 'runs'> | 'login', () => Promise<unknown>>;

/** Starts loading the module of the page a signed-in session opens on; React.lazy gets the same module. */
export function preloadPage(route: Route): void {
  if (route.page === 'runs') return;
  // a chunk that fails to load is reported where React.lazy asks for it again
  pageModules[route.page]().catch(() => {});
}
