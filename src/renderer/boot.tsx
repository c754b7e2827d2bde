// The app (React and the pages), started by the entry (main.tsx) once the history's first page
// has been asked for.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { parseRoute } from './route';
import { store } from './store';

performance.mark('pillars:boot');
// The history opens before the first render (taking over the entry's first page), so its rows
// can already be in the model when the table first renders; older pages wait for the Runs page.
const route = parseRoute(window.location.hash);
if (route.page === 'runs') store.openHistory(route.job, route.status, { holdBackground: true });
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
