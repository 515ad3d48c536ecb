/** What each node type shows at a glance on the canvas (one small renderer per type). */
import type { JSX } from 'react';
import type { GraphNode } from '../../core/graph/schema';
import { fmtMs } from '../ui/format';

const clip = (s: string, n = 72) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const oneLine = (v: unknown, n = 72) =>
  clip(typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : (JSON.stringify(v) ?? ''), n);

type R = (n: GraphNode, ctx: { inputKeys: string[] }) => JSX.Element | null;

const Kv = ({ k, v, mono }: { k?: string; v: string; mono?: boolean }) => (
  <div className="sp-kv">
    {k && <span className="sp-k">{k}</span>}
    <span className={mono ? 'sp-v mono' : 'sp-v'}>{v || '—'}</span>
  </div>
);

const model: R = (n) => (
  <>
    <div className="sp-chips">
      <span className="chip">{String(n.config['provider'] ?? '?')}</span>
      <span className="chip chip-strong">{String(n.config['model'] ?? '?')}</span>
      {n.config['outputSchema'] !== undefined && <span className="chip">json</span>}
      {Array.isArray(n.config['tools']) && (
        <span className="chip">{(n.config['tools'] as unknown[]).length} tools</span>
      )}
    </div>
    <Kv v={oneLine(n.config['prompt'] ?? '')} />
  </>
);

export const SUMMARIES: Record<string, R> = {
  input: (_n, { inputKeys }) => <Kv k="fields" v={inputKeys.length ? inputKeys.join(', ') : 'any'} />,
  llm: model,
  agent: model,
  http: (n) => (
    <div className="sp-kv">
      <span className={`method method-${String(n.config['method'] ?? 'GET').toLowerCase()}`}>
        {String(n.config['method'] ?? 'GET')}
      </span>
      <span className="sp-v mono">{oneLine(n.config['url'] ?? '')}</span>
    </div>
  ),
  code: (n) => <Kv v={oneLine(n.config['code'] ?? '', 60)} mono />,
  transform: (n) => {
    const t = n.config['template'];
    const keys = t && typeof t === 'object' && !Array.isArray(t) ? Object.keys(t) : null;
    return <Kv k={keys ? 'keys' : undefined} v={keys ? keys.join(', ') : oneLine(t)} mono={!keys} />;
  },
  condition: (n) => <Kv v={oneLine(n.config['expression'] ?? '')} mono />,
  approval: (n) => <Kv v={oneLine(n.config['title'] ?? '')} />,
  delay: (n) => <Kv k="wait" v={fmtMs(Number(n.config['ms']))} />,
  output: (n) => <Kv v={oneLine(n.config['value'] ?? '')} mono />,
};
