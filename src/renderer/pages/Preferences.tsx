import { useEffect, useState } from 'react';
import { ErrorNote, PageHeader, Section } from '../components/ui';
import { bridge, type TraySettings } from '../bridge';

// Client settings live in the tray (electron-store), reached only through the preload bridge. In a
// plain browser this page explains where to find them instead.

interface PillarPref {
  id: string;
  share?: string;
  label?: string;
  drive?: string;
}

function obj(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : {};
}
function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

function Pairing({ onPaired }: { onPaired: () => void }) {
  const b = bridge();
  const [url, setUrl] = useState('');
  const [code, setCode] = useState('');
  const [probe, setProbe] = useState<{ url: string; fingerprint: string | null; version: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [paired, setPaired] = useState<string | null>(null);
  if (!b?.setup) return null;
  const setup = b.setup;
  return (
    <form
      className="prefs-form"
      aria-label="Pair with a server"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          if (!probe) {
            setProbe(await setup.probe(url.trim()));
          } else {
            const r = await setup.pair({ url: probe.url, fingerprint: probe.fingerprint, code: code.trim() });
            setPaired(`Paired with ${r.url} as ${r.role}.`);
            onPaired();
          }
        } catch (err) {
          setError(err instanceof Error ? err.message : String(err));
        }
      }}
    >
      <label>
        Server URL
        <input value={url} onChange={(e) => (setUrl(e.target.value), setProbe(null))} placeholder="https://motoko:8443" />
      </label>
      {probe && (
        <>
          <p>
            pillarsd {probe.version} at {probe.url}
            {probe.fingerprint ? (
              <>
                {' '}
                presents the certificate <code className="fingerprint">{probe.fingerprint}</code>. Compare it with what <code>pillarsd pair</code> printed on the server before you go on.
              </>
            ) : (
              ' (plain HTTP: no certificate to check).'
            )}
          </p>
          <label>
            Pairing code (from <code>pillarsd pair</code>)
            <input value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" />
          </label>
        </>
      )}
      <ErrorNote error={error} />
      {paired && (
        <p className="ok" role="status">
          {paired}
        </p>
      )}
      <button type="submit" disabled={probe ? !code.trim() : !url.trim()}>
        {probe ? 'Pair' : 'Check server'}
      </button>
    </form>
  );
}

export function Preferences() {
  const b = bridge();
  const [settings, setSettings] = useState<TraySettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    b?.settings
      ?.get()
      .then(setSettings)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [b, generation]);
  if (!b?.settings) {
    return (
      <div className="page preferences">
        <PageHeader title="Preferences" />
        <Section title="Where they are">
          <p>Preferences belong to the Pillars tray app on each computer (server and pairing, vault, drive letters, notifications, start at login). Open this pane from the tray to change them.</p>
        </Section>
      </div>
    );
  }
  const save = async (patch: TraySettings) => {
    setSaved(false);
    setError(null);
    try {
      setSettings(await b.settings!.set(patch));
      setSaved(true);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const server = obj(settings?.server);
  const secret = obj(settings?.secret);
  const pillars = (Array.isArray(settings?.pillars) ? settings.pillars : []) as PillarPref[];
  return (
    <div className="page preferences">
      <PageHeader title="Preferences" />
      <ErrorNote error={error} />
      {saved && (
        <p className="ok" role="status">
          Saved.
        </p>
      )}
      {settings && (
        <>
          <Section title="Server and pairing">
            <dl className="summary">
              <div>
                <dt>Server</dt>
                <dd>{str(server.url) || 'not paired'}</dd>
              </div>
              <div>
                <dt>Certificate fingerprint</dt>
                <dd>
                  <code>{str(server.fingerprint) || '—'}</code>
                </dd>
              </div>
            </dl>
            <h3>{str(server.url) ? 'Pair with another server' : 'Pair with your server'}</h3>
            <Pairing onPaired={() => setGeneration((g) => g + 1)} />
          </Section>
          <Section title="Vault">
            <form
              className="prefs-form"
              onSubmit={(e) => {
                e.preventDefault();
                const f = new FormData(e.currentTarget);
                void save({ secret: { ...secret, vaultUrl: String(f.get('vaultUrl') ?? ''), name: String(f.get('name') ?? '') } });
              }}
            >
              <label>
                Key Vault URL
                <input name="vaultUrl" defaultValue={str(secret.vaultUrl)} />
              </label>
              <label>
                Secret name
                <input name="name" defaultValue={str(secret.name)} />
              </label>
              <button type="submit">Save vault</button>
            </form>
          </Section>
          <Section title="Pillars and drive letters">
            <form
              className="prefs-form"
              onSubmit={(e) => {
                e.preventDefault();
                const f = new FormData(e.currentTarget);
                void save({ pillars: pillars.map((p) => ({ ...p, drive: String(f.get(`drive-${p.id}`) ?? '') || undefined })) });
              }}
            >
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Pillar</th>
                    <th scope="col">Share</th>
                    <th scope="col">Drive letter (Windows)</th>
                  </tr>
                </thead>
                <tbody>
                  {pillars.map((p) => (
                    <tr key={p.id}>
                      <th scope="row">{p.label ?? p.id}</th>
                      <td>{p.share ?? p.id}</td>
                      <td>
                        <input name={`drive-${p.id}`} aria-label={`Drive letter for ${p.label ?? p.id}`} defaultValue={p.drive ?? ''} pattern="[A-Za-z]:?" maxLength={2} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button type="submit">Save drive letters</button>
            </form>
          </Section>
          <Section title="Notifications and start-up">
            <label className="check">
              <input type="checkbox" checked={settings.notifications !== false} onChange={(e) => void save({ notifications: e.target.checked })} /> Notify me about failed, blocked and missed runs
            </label>
            <label className="check">
              <input type="checkbox" checked={settings.startAtLogin === true} onChange={(e) => void save({ startAtLogin: e.target.checked })} /> Start Pillars at login
            </label>
          </Section>
        </>
      )}
    </div>
  );
}
