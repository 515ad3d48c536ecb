/** Formatting shared by the dashboard, the run detail and the diff. */

export const fmtMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined
    ? '—'
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : ms < 60_000
        ? `${(ms / 1000).toFixed(1)} s`
        : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;

export const fmtCost = (usd: number | null | undefined): string =>
  usd === null || usd === undefined ? '—' : `$${usd.toFixed(usd !== 0 && usd < 0.01 ? 5 : 4)}`;

export const fmtTokens = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : n.toLocaleString('en-US');

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** A signed delta: "+12", "−0.0031", "±0". */
export function fmtDelta(d: number, fmt: (n: number) => string): string {
  if (d === 0) return '±0';
  return `${d > 0 ? '+' : '−'}${fmt(Math.abs(d))}`;
}

export const shortId = (runId: string): string =>
  runId.length > 14 ? `${runId.slice(0, 8)}…${runId.slice(-6)}` : runId;
