/** The side panel of the selected node: its config, and testing it alone. */
import { useState, type JSX } from 'react';
import { kindOf } from '../doc/node-kinds';
import { useDoc } from '../doc/store';
import { TypeIcon } from '../ui/icons';
import { typeLabel } from '../doc/defaults';
import { NodePanel } from './NodePanel';
import { NodeTest } from './NodeTest';

const TABS = [
  { id: 'config', label: 'Config' },
  { id: 'test', label: 'Test' },
] as const;

export function NodeSide({ nodeId }: { nodeId: string }): JSX.Element | null {
  const node = useDoc((s) => s.index.get(nodeId));
  const [tab, setTab] = useState<(typeof TABS)[number]['id']>('config');
  if (!node) return null;
  const testable = kindOf(node.type)?.testable ?? false;
  return (
    <aside className="side-panel" data-testid="node-panel" aria-label={`Node ${node.id}`}>
      <div className="side-head">
        <span className={`type-badge type-${node.type}`}>
          <TypeIcon type={node.type} size={16} />
        </span>
        <div>
          <h2 className="side-title">{node.label || node.id}</h2>
          <div className="muted small">{typeLabel(node.type)} node</div>
        </div>
      </div>
      <div className="panel-tabs" role="tablist" aria-label="Node">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`node-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls="node-tab-panel"
            data-testid={`panel-tab-${t.id}`}
            className={tab === t.id ? 'tab tab-active' : 'tab'}
            disabled={t.id === 'test' && !testable}
            title={t.id === 'test' && !testable ? 'An approval waits for a person: run the graph to try it' : undefined}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="side-scroll" role="tabpanel" id="node-tab-panel" aria-labelledby={`node-tab-${tab}`}>
        {tab === 'config' ? <NodePanel nodeId={nodeId} /> : <NodeTest nodeId={nodeId} />}
      </div>
    </aside>
  );
}
