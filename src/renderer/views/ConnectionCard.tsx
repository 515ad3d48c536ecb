/**
 * Settings → Connection: this computer, or another `statepipe serve` by URL and token. The
 * server is checked before the studio moves to it (connection.ts); the unsaved editor document
 * goes along as the draft (session.ts switchConnection).
 */
import { useState, type JSX } from 'react';
import { checkServer, connectionLabel, parseServer } from '../api/connection';
import { hostClient } from '../api/client';
import { switchConnection } from '../session';
import { SegmentedRadio } from '../ui/SegmentedRadio';

export function ConnectionCard(): JSX.Element {
  const client = hostClient();
  const remote = client.remote;
  const [mode, setMode] = useState<'local' | 'server'>(remote ? 'server' : 'local');
  const [url, setUrl] = useState(remote?.url ?? '');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A browser page reaching another server is a cross-origin page there; the desktop app is not.
  const pageOrigin = client.host === 'web' ? location.origin : null;
  const here = client.host === 'electron' ? 'This computer' : `This server (${location.host})`;

  const connect = async () => {
    setError(null);
    const parsed = parseServer(url, token);
    if (!parsed.ok) return setError(parsed.error);
    setBusy(true);
    const problem = await checkServer(parsed.server, pageOrigin);
    setBusy(false);
    if (problem) return setError(problem);
    switchConnection(parsed.server);
  };

  return (
    <section className="card" data-testid="connection-settings">
      <h3>Connection</h3>
      <p className="muted small">
        Now on <strong data-testid="connection-now">{connectionLabel(remote)}</strong>
        {remote ? ` (${remote.url})` : ''}.
      </p>
      <SegmentedRadio
        label="Connect to"
        value={mode}
        options={[
          { value: 'local', label: here },
          { value: 'server', label: 'A statepipe server' },
        ]}
        testId={(m) => `connection-${m}`}
        onChange={(m) => {
          setMode(m);
          setError(null);
          if (m === 'local' && remote) switchConnection(null);
        }}
      />
      {mode === 'server' && (
        <form
          className="connection-form"
          onSubmit={(e) => {
            e.preventDefault();
            void connect();
          }}
        >
          <label className="field">
            <span className="field-label">
              Server URL <span className="field-hint">as statepipe serve printed it, e.g. http://10.0.0.5:7777</span>
            </span>
            <input
              className={`input mono${error ? ' input-invalid' : ''}`}
              data-testid="connection-url"
              value={url}
              spellCheck={false}
              aria-invalid={error ? true : undefined}
              onChange={(e) => setUrl(e.target.value)}
            />
          </label>
          <label className="field">
            <span className="field-label">
              Token <span className="field-hint">the part after ?token= (empty: taken from the URL)</span>
            </span>
            <input
              className="input mono"
              type="password"
              autoComplete="off"
              data-testid="connection-token"
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          </label>
          {error && (
            <div className="field-message" role="alert" data-testid="connection-error">
              {error}
            </div>
          )}
          <button type="submit" className="btn btn-primary" data-testid="connection-connect" disabled={busy}>
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        </form>
      )}
    </section>
  );
}
