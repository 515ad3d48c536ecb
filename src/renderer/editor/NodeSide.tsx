/** The side panel of the selected node: its config, and testing it alone. */
import { useState, type JSX } from 'react';
import { kindUi } from '../doc/node-kinds';
import { useDoc } from '../doc/store';
import { TypeIcon } from '../ui/icons';
import { Tabs, type TabItem } from '../ui/Tabs';
import { typeLabel } from '../doc/defaults';
import { NodePanel } from './NodePanel';
import { NodeTest } from './NodeTest';

type NodeTab = 'config' | 'test';
const TABS: TabItem<NodeTab>[] = [
  { id: 'config', label: 'Config' },
  { id: 'test', label: 'Test' },
];

export function NodeSide({ nodeId }: { nodeId: string }): JSX.Element | null {
  const node = useDoc((s) => s.index.get(nodeId));
  const [tab, setTab] = useState<NodeTab>('config');
  if (!node) return null;
  const testable = kindUi(node.type)?.testable ?? false;
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
      <Tabs<NodeTab>
        className="panel-tabs"
        label="Node"
        tabs={TABS.map((t) =>
          t.id === 'test' && !testable
            ? { ...t, disabled: true, title: 'An approval waits for a person: run the graph to try it' }
            : t,
        )}
        current={tab}
        onChange={setTab}
        idPrefix="node-tab"
        panelId="node-tab-panel"
        testIdPrefix="panel-tab-"
      />
      <div className="side-scroll" role="tabpanel" id="node-tab-panel" aria-labelledby={`node-tab-${tab}`}>
        {tab === 'config' ? <NodePanel nodeId={nodeId} /> : <NodeTest nodeId={nodeId} />}
      </div>
    </aside>
  );
}
