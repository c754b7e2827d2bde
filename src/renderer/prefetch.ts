// Imported first by the entry (main.tsx) for its effect: with a token, the requests the first
// screen waits on go out (early.ts) and its page's chunk starts loading (pages.ts) before React's
// modules are evaluated. ES modules run in import order, and nothing here imports React, so they
// are on the wire while React starts.
import { Api, storedToken } from './api';
import { bridge } from './bridge';
import { requestEarly } from './early';
import { preloadPage } from './pages';
import { parseRoute } from './route';

const route = parseRoute(window.location.hash);
const token = storedToken();
if (token) {
  requestEarly(new Api(bridge()?.serverUrl ?? '', () => token), route);
  preloadPage(route);
}
