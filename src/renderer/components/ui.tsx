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
  label,
  onError,
}: {
  children: ReactNode;
  action: () => Promise<unknown>;
  disabled?: boolean;
  className?: string;
  title?: string;
  /** the accessible name, where the visible text alone does not say what it acts on */
  label?: string;
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
        aria-label={label}
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

/** The page's one <h1>, with what belongs next to it (a status badge, the page's own actions). */
export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-head">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

/**
 * A table too wide for a phone scrolls inside its own box (focusable, so a keyboard can scroll it
 * too) instead of widening the page. Tables with `className="data cards"` become one card per
 * row on narrow screens instead (each cell shows its column's name from `data-label`).
 */
export function TableBox({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-box" tabIndex={0} role="group" aria-label={label}>
      {children}
    </div>
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
