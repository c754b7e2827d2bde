// The pane's entry, kept small on purpose: it asks pillarsd for the run history's first page at
// once, then loads the app (React and the pages, boot.tsx). The page's data request is then on
// the wire while most of the pane's script is still downloading and evaluating, instead of after.
// The app's chunk is not modulepreloaded from index.html: measured in Chromium here, preloading
// made this entry run later (the big chunk was compiled first) and the first rows come later.
import { Api, storedToken } from './api';
import { bridge } from './bridge';
import { requestFirstPage } from './first-page';
import { parseRoute } from './route';
import './styles.css';

const route = parseRoute(window.location.hash);
const token = storedToken();
if (route.page === 'runs' && token) requestFirstPage(new Api(bridge()?.serverUrl ?? '', () => token), route.job, route.status);
void import('./boot');
