// Imported first by the entry (main.tsx) for its effect: on the Runs page it asks pillarsd for the
// history's first page before React's modules are evaluated and the app renders. ES modules run in
// import order, and nothing here imports React, so the request is on the wire while React starts.
import { Api, storedToken } from './api';
import { bridge } from './bridge';
import { requestFirstPage } from './first-page';
import { parseRoute } from './route';

const route = parseRoute(window.location.hash);
const token = storedToken();
if (route.page === 'runs' && token) requestFirstPage(new Api(bridge()?.serverUrl ?? '', () => token), route.job, route.status);
