// Imported first by the entry (main.tsx): a login link (`pillarsd login-link`, `pillarsd demo`)
// opens the pane at #login=CODE. The code leaves the address bar and the history at once
// (history.replaceState, before any other script of the pane runs or any request goes out); the
// store trades it for a token (POST /api/v1/pair) that lives in this tab's sessionStorage only.
// Fragments are never sent to a server, so the code was in no request line or Referer either.

// (globalThis: the pure parts of the pane that import the store are tested in Node, without a window)
const m = /^#login=([0-9A-Za-z-]{4,24})$/.exec(globalThis.location?.hash ?? '');

/** The one-time code this page was opened with, if any (taken once by the store). */
let code: string | null = m ? m[1]! : null;
if (m) window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}#/`);

export function takeLoginCode(): string | null {
  const c = code;
  code = null;
  return c;
}
