/** What a card shows of its node at a glance, as its kind's summary spec says (doc/node-kinds.ts). */
import type { JSX } from 'react';
import type { GraphNode } from '../../core/graph/schema';
import { kindUi } from '../doc/node-kinds';
import { fmtMs } from '../ui/format';

const clip = (s: string, n = 72) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const oneLine = (v: unknown, n = 72) =>
  clip(typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : (JSON.stringify(v) ?? ''), n);

const Kv = ({ k, v, mono }: { k?: string; v: string; mono?: boolean }) => (
  <div className="sp-kv">
    {k && <span className="sp-k">{k}</span>}
    <span className={mono ? 'sp-v mono' : 'sp-v'}>{v || '—'}</span>
  </div>
);

export function Summary({ node, inputKeys }: { node: GraphNode; inputKeys: string[] }): JSX.Element | null {
  const spec = kindUi(node.type)?.summary;
  const c = node.config;
  if (!spec) return null;
  switch (spec.kind) {
    case 'input-fields':
      return <Kv k="fields" v={inputKeys.length ? inputKeys.join(', ') : 'any'} />;
    case 'model':
      return (
        <>
          <div className="sp-chips">
            <span className="chip">{String(c['provider'] ?? '?')}</span>
            <span className="chip chip-strong">{String(c['model'] ?? '?')}</span>
            {c['outputSchema'] !== undefined && <span className="chip">json</span>}
            {Array.isArray(c['tools']) && <span className="chip">{(c['tools'] as unknown[]).length} tools</span>}
          </div>
          <Kv v={oneLine(c['prompt'] ?? '')} />
        </>
      );
    case 'request': {
      const method = String(c['method'] ?? 'GET');
      return (
        <div className="sp-kv">
          <span className={`method method-${method.toLowerCase()}`}>{method}</span>
          <span className="sp-v mono">{oneLine(c['url'] ?? '')}</span>
        </div>
      );
    }
    case 'line':
      return <Kv v={oneLine(c[spec.key] ?? '', spec.max)} mono={spec.mono} />;
    case 'keys': {
      const t = c[spec.key];
      const keys = t && typeof t === 'object' && !Array.isArray(t) ? Object.keys(t) : null;
      return <Kv k={keys ? 'keys' : undefined} v={keys ? keys.join(', ') : oneLine(t)} mono={!keys} />;
    }
    case 'duration':
      return <Kv k={spec.label} v={fmtMs(Number(c[spec.key]))} />;
    case 'child':
      return (
        <>
          <div className="sp-chips">
            <span className="chip chip-strong">{c['graph'] ? String(c['graph']) : 'no graph chosen'}</span>
          </div>
          {spec.key && <Kv k={spec.label} v={oneLine(c[spec.key] ?? '')} mono />}
        </>
      );
  }
}
