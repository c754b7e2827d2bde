// The pane's entry. The order of these imports is the order they run in: a login link's code is
// taken out of the address bar first (login-link.ts), then the first screen's requests go out and
// its page's chunk starts loading (prefetch.ts) before React's modules are evaluated and the app
// renders (boot.tsx).
// One chunk rather than a small entry that import()s the app: measured in Chromium here, the
// extra round trip for the app's chunk cost more than it saved.
import './login-link';
import './prefetch';
import './styles.css';
import './boot';
