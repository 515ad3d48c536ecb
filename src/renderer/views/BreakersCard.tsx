/** Settings card: the circuit breakers of this host (per model provider and per http host), refreshed live. */
import { useEffect, useState, type JSX } from 'react';
import type { MethodOutput } from '../../contract/api';
import { hostClient } from '../api/client';

type Breakers = MethodOutput<'app.breakers'>;

export function BreakersCard(): JSX.Element {
  const [data, setData] = useState<Breakers | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      hostClient()
        .call('app.breakers', {})
        .then((d) => !stopped && setData(d))
        .catch((err: unknown) => !stopped && setError(err instanceof Error ? err.message : String(err)));
    void load();
    const timer = setInterval(load, 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <section className="card" data-testid="breakers">
      <h3>Circuit breakers</h3>
      <p className="muted small">
        After {data?.threshold ?? '…'} failures in a row a provider or http host is skipped for{' '}
        {data ? Math.round(data.coolDownMs / 1000) : '…'} s; nodes fail fast and retry after the cool-down.
      </p>
      {error && <div className="field-message">{error}</div>}
      {data && data.breakers.length === 0 && <p className="muted small">No provider or host has failed yet.</p>}
      {data && data.breakers.length > 0 && (
        <table className="facts-table">
          <thead>
            <tr>
              <th>Target</th>
              <th>State</th>
              <th>Failures</th>
              <th>Retry in</th>
            </tr>
          </thead>
          <tbody>
            {data.breakers.map((b) => (
              <tr key={`${b.kind}:${b.key}`} data-testid={`breaker-${b.key}`} data-state={b.state}>
                <td className="mono">
                  {b.kind} {b.key}
                </td>
                <td>{b.state}</td>
                <td>{b.failures}</td>
                <td>{b.retryAfterMs !== undefined ? `${Math.ceil(b.retryAfterMs / 1000)} s` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
