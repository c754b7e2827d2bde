// Small shared pieces: status badges, error notes, action buttons that report their own failure.
import { useState, type ReactNode } from 'react';
import type { RunStatus } from '../../../server/src/contract/api';

export function StatusBadge({ status }: { status: RunStatus | 'idle' | 'never' | string }) {
  return <span className={`badge st-${status}`}>{status}</span>;
}

export function ErrorNote({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error}
    </p>
  );
}

/** A button that runs an async action, disables itself meanwhile and shows the error next to it. */
export function ActionButton({
  children,
  action,
  disabled,
  className,
  title,
  onError,
}: {
  children: ReactNode;
  action: () => Promise<unknown>;
  disabled?: boolean;
  className?: string;
  title?: string;
  onError?: (message: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className={className}
        title={title}
        disabled={disabled || busy}
        aria-busy={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await action();
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            if (onError) onError(msg);
            else setError(msg);
          } finally {
            setBusy(false);
          }
        }}
      >
        {children}
      </button>
      {error && (
        <span className="error inline" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <header className="card-head">
        <h2>{title}</h2>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
