/** The run's logs, color-coded by level with a minimum-level filter: node logs plus retries and failures. */
import { useState, type JSX } from 'react';
import type { RunEvent } from '../../core/events';
import { errorMessageOf } from '../../core/errors';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

export interface Line {
  seq: number;
  ts: string;
  level: Level;
  nodeId?: string;
  message: string;
}

export function logLines(events: readonly RunEvent[]): Line[] {
  const out: Line[] = [];
  for (const e of events) {
    const base = { seq: e.seq, ts: e.ts, ...(e.nodeId ? { nodeId: e.nodeId } : {}) };
    if (e.type === 'node.log')
      out.push({
        ...base,
        level: (LEVELS as readonly string[]).includes(e.data.level) ? e.data.level : 'info',
        message: e.data.message,
      });
    else if (e.type === 'node.retrying')
      out.push({
        ...base,
        level: 'warn',
        message: `attempt ${e.data.attempt} failed (${e.data.error.kind}): ${errorMessageOf(e.data.error)}; retrying in ${e.data.delayMs} ms`,
      });
    else if (e.type === 'node.failed')
      out.push({ ...base, level: 'error', message: `failed (${e.data.error.kind}): ${errorMessageOf(e.data.error)}` });
    else if (e.type === 'run.failed')
      out.push({ ...base, level: 'error', message: `run failed: ${e.data.error.message}` });
    else if (e.type === 'compensation.failed')
      out.push({ ...base, level: 'error', message: `compensation failed: ${e.data.error.message}` });
    else if (e.type === 'budget.exceeded') {
      const { tokens, costUsd, maxTokens, maxCostUsd } = e.data;
      const limits = [
        ...(maxTokens !== undefined ? [`max ${maxTokens} tokens`] : []),
        ...(maxCostUsd !== undefined ? [`max $${maxCostUsd}`] : []),
      ];
      const of = limits.length ? ` of a budget of ${limits.join(', ')}` : '';
      out.push({ ...base, level: 'warn', message: `budget spent: ${tokens} tokens, $${costUsd}${of}` });
    } else if (e.type === 'run.paused' && e.data.reason === 'budget')
      out.push({ ...base, level: 'warn', message: 'run paused: its budget is spent (Resume raises it)' });
    else if (e.type === 'node.skipped') out.push({ ...base, level: 'debug', message: `skipped: ${e.data.reason}` });
    else if (
      e.type === 'run.started' ||
      e.type === 'run.succeeded' ||
      e.type === 'run.cancelled' ||
      e.type === 'run.paused' ||
      e.type === 'run.resumed'
    )
      out.push({ ...base, level: 'info', message: e.type.replace('run.', 'run ') });
  }
  return out;
}

/** The run's log: `lines` from logLines, built by the caller when its events change. */
export function Logs({ lines }: { lines: readonly Line[] }): JSX.Element {
  const [min, setMin] = useState<Level>('debug');
  const shown = lines.filter((l) => LEVELS.indexOf(l.level) >= LEVELS.indexOf(min));
  return (
    <div className="logs" data-testid="logs">
      <div className="logs-bar">
        <span className="muted small">Level</span>
        <div className="segmented">
          {LEVELS.map((l) => (
            <button
              key={l}
              type="button"
              className={`seg level-${l}${min === l ? ' seg-on' : ''}`}
              data-testid={`log-level-${l}`}
              onClick={() => setMin(l)}
            >
              {l}+
            </button>
          ))}
        </div>
        <span className="muted small">
          {shown.length} of {lines.length}
        </span>
      </div>
      <div className="logs-list">
        {shown.length === 0 && <div className="muted rd-empty">No log lines at this level.</div>}
        {shown.map((l) => (
          <div key={l.seq} className={`log-line level-${l.level}`} data-testid="log-line" data-level={l.level}>
            <span className="log-ts mono">{l.ts.slice(11, 23)}</span>
            <span className={`log-level level-${l.level}`}>{l.level}</span>
            {l.nodeId && <span className="log-node mono">{l.nodeId}</span>}
            <span className="log-msg">{l.message}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
