import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { historyFilter } from './api';
import { parseRoute } from './route';
import { store } from './store';
import './styles.css';

performance.mark('pillars:boot');
// The history is the heaviest request: start it now rather than after the first render.
const route = parseRoute(window.location.hash);
if (route.page === 'runs') store.prefetchRuns(historyFilter(route.job, route.status));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
