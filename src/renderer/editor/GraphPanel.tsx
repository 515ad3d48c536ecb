/** The side panel when no single node is selected: the graph's own fields and every problem. */
import type { JSX } from 'react';
import { GRAPH_ID_RE } from '../../core/graph/schema';
import { docStore, useDoc } from '../doc/store';
import { CommitInput, Field, NumberInput, TextArea, TextInput } from './fields';
import { InputSchemaEditor } from './InputSchemaEditor';

const patch = (p: Record<string, unknown>, key: string) =>
  docStore.getState().apply({ type: 'update-graph', patch: p }, { coalesce: `graph.${key}` });

export function GraphPanel(): JSX.Element {
  const graph = useDoc((s) => s.graph);
  const issues = useDoc((s) => s.issues.all);
  const warnings = useDoc((s) => s.issues.warnings);
  const selectedCount = useDoc((s) => s.selectedNodes.length);
  return (
    <aside className="side-panel" data-testid="graph-panel" aria-label="Graph">
      <div className="side-head">
        <div>
          <div className="side-title">Graph</div>
          <div className="muted small">
            {graph.nodes.length} nodes · {graph.edges.length} edges
            {selectedCount > 1 ? ` · ${selectedCount} selected` : ''}
          </div>
        </div>
      </div>
      <div
        className={`validity ${issues.length ? 'validity-bad' : 'validity-ok'}`}
        data-testid="graph-validity"
        data-valid={issues.length ? 'false' : 'true'}
      >
        {issues.length ? `${issues.length} problem${issues.length > 1 ? 's' : ''}` : 'Valid graph'}
      </div>
      {issues.length > 0 && (
        <ul className="issue-list" data-testid="graph-issues">
          {issues.map((i) => (
            <li key={i.path + i.message}>
              <button
                type="button"
                className="linkish"
                onClick={() => {
                  const id = i.nodeId ?? /^nodes\[([^\]]+)\]/.exec(i.path)?.[1];
                  if (id && docStore.getState().index.has(id)) docStore.getState().select([id], []);
                }}
              >
                <span className="mono">{i.path || 'graph'}</span> {i.message}
              </button>
            </li>
          ))}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="warn-list" data-testid="graph-warnings">
          {warnings.map((w) => (
            <li key={w.path + w.message}>
              <span className="mono">{w.nodeId ?? w.path}</span> {w.message}
            </li>
          ))}
        </ul>
      )}
      <div className="field-row">
        <Field label="Id">
          <CommitInput
            testId="graph-id"
            mono
            value={graph.id}
            check={(v) => (GRAPH_ID_RE.test(v) ? null : 'a-z, 0-9, _ and -')}
            onCommit={(v) => patch({ id: v }, 'id')}
          />
        </Field>
        <Field label="Concurrency">
          <NumberInput
            testId="graph-concurrency"
            value={graph.concurrency}
            min={1}
            placeholder="4"
            onChange={(v) => patch({ concurrency: v }, 'concurrency')}
          />
        </Field>
      </div>
      <Field label="Name">
        <TextInput
          testId="graph-name"
          value={graph.name ?? ''}
          onChange={(v) => patch({ name: v || undefined }, 'name')}
        />
      </Field>
      <Field label="Description">
        <TextArea
          testId="graph-description"
          value={graph.description ?? ''}
          rows={2}
          onChange={(v) => patch({ description: v || undefined }, 'description')}
        />
      </Field>
      <InputSchemaEditor schema={graph.input} onChange={(input) => patch({ input }, 'input')} />
      <p className="muted small">
        Select a node to edit it. Shortcuts: Delete removes, Ctrl+C / Ctrl+V copies, Ctrl+Z / Ctrl+Shift+Z undoes and
        redoes, Shift-drag selects an area.
      </p>
    </aside>
  );
}
