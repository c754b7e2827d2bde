import { useState } from 'react';
import { store, usePane } from '../store';

export function Login() {
  const { loginError, signingIn } = usePane();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main className="login">
      <form
        aria-label="Log in"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          await store.login(token);
          setBusy(false);
        }}
      >
        <h1>Pillars</h1>
        <p>
          Open a login link (<code>pillarsd login-link</code> prints one) or enter an admin or viewer token for this pillarsd (from <code>pillarsd demo</code> or <code>pillarsd token create</code>). It is kept in this
          tab only.
        </p>
        <label htmlFor="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
          aria-invalid={loginError ? true : undefined}
          aria-describedby={loginError ? 'login-error' : undefined}
        />
        {signingIn && (
          <p className="muted" role="status">
            Signing in with the login link…
          </p>
        )}
        {loginError && (
          <p id="login-error" className="error" role="alert">
            {loginError}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
