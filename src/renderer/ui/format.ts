/** The studio's one way to write durations, costs, token counts and times (every view uses these). */

/** `850 ms`, `1.5 s`, `2m 5s`; `—` when unknown. */
export const fmtMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined || !Number.isFinite(ms)
    ? '—'
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : ms < 60_000
        ? `${+(ms / 1000).toFixed(2)} s`
        : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;

/** `$0.0123`; five decimals below a cent, so small costs do not read as zero. */
export const fmtCost = (usd: number | null | undefined): string =>
  usd === null || usd === undefined ? '—' : `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 0.01 ? 5 : 4)}`;

/** A run's budget: its limits, or 'none'. */
export const fmtBudget = (b: { maxTokens?: number; maxCostUsd?: number } | undefined): string => {
  const parts = [
    ...(b?.maxTokens !== undefined ? [`${fmtTokens(b.maxTokens)} tokens`] : []),
    ...(b?.maxCostUsd !== undefined ? [fmtCost(b.maxCostUsd)] : []),
  ];
  return parts.length ? parts.join(' / ') : 'none';
};

export const fmtTokens = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : n.toLocaleString('en-US');

/** A date-time: the time alone today, else with the day. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** A time of day to the millisecond (`14:03:07.250`), for attempts and log lines. */
export const fmtClock = (ms: number): string =>
  `${new Date(ms).toLocaleTimeString(undefined, { hour12: false })}.${String(ms % 1000).padStart(3, '0')}`;

/** A signed delta: "+12", "−0.0031", "±0". */
export function fmtDelta(d: number, fmt: (n: number) => string): string {
  if (d === 0) return '±0';
  return `${d > 0 ? '+' : '−'}${fmt(Math.abs(d))}`;
}

export const shortId = (runId: string): string =>
  runId.length > 14 ? `${runId.slice(0, 8)}…${runId.slice(-6)}` : runId;
