/** The selected node's config: id and label, its problems, its kind's form, reliability, the whole config as JSON. */
import { useMemo, useState, type JSX } from 'react';
import { NODE_ID_RE, type GraphNode } from '../../core/graph/schema';
import { findKind } from '../../core/nodes/registry';
import { typeLabel } from '../doc/defaults';
import { fieldOf } from '../doc/issue-map';
import { docStore, useDoc } from '../doc/store';
import { ConfigFields } from './ConfigFields';
import { CommitInput, Field, TextInput } from './fields';
import { MonacoField } from './MonacoField';
import { patchNode } from './node-edit';
import { Reliability } from './Reliability';

type Cfg = Record<string, unknown>;

function ConfigJson({ node }: { node: GraphNode }): JSX.Element {
  const text = useMemo(() => JSON.stringify(node.config, null, 2), [node.config]);
  /** Why the text typed last is not the node's config (null: it is). */
  const [unapplied, setUnapplied] = useState<string | null>(null);
  const problems = useMemo(() => {
    const r = findKind(node.type)?.configSchema.safeParse(node.config);
    return r && !r.success ? r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`) : [];
  }, [node.config, node.type]);
  return (
    <details className="section" open>
      <summary>Config (JSON)</summary>
      <MonacoField
        testId="config-json"
        ariaLabel={`Config of ${node.id} (JSON)`}
        language="json"
        schemaType={node.type}
        value={text}
        height={220}
        onChange={(v) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(v);
          } catch (err) {
            // Monaco marks the place; this says that the node keeps its last valid config meanwhile.
            return setUnapplied(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
          }
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
            return setUnapplied('a config is a JSON object ({ … })');
          setUnapplied(null);
          docStore
            .getState()
            .apply(
              { type: 'update-node', id: node.id, patch: { config: parsed as Cfg } },
              { coalesce: `${node.id}.config-json` },
            );
        }}
      />
      {unapplied && (
        <div className="field-message" role="alert" data-testid="config-json-unapplied">
          Not applied: {unapplied}. The node keeps its last valid config until this is fixed.
        </div>
      )}
      {problems.length > 0 && (
        <ul className="inline-errors" data-testid="config-errors">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </details>
  );
}

export function NodePanel({ nodeId }: { nodeId: string }): JSX.Element | null {
  const node = useDoc((s) => s.index.get(nodeId));
  const issueText = useDoc((s) =>
    s.issues.all
      .filter((i) => i.nodeId === nodeId || i.path.startsWith(`nodes[${nodeId}]`))
      .map((i) => `${fieldOf(i.path)}\u0000${i.message}`)
      .join('\n'),
  );
  const cycle = useDoc((s) => s.issues.nodes[nodeId]?.find((m) => m.startsWith('on a cycle')));
  const warnings = useDoc((s) => s.issues.warnings);
  const mine = useMemo(() => warnings.filter((w) => w.nodeId === nodeId), [warnings, nodeId]);
  const issues = useMemo(
    () => (issueText ? issueText.split('\n').map((l) => l.split('\u0000') as [string, string]) : []),
    [issueText],
  );
  if (!node) return null;
  const errors: Record<string, string> = {};
  for (const [path, message] of issues) {
    const key = path.replace(/^config\./, '').split(/[.[]/)[0]!;
    if (path.startsWith('config.')) errors[key] ??= message;
  }
  const checkId = (v: string) =>
    !NODE_ID_RE.test(v)
      ? 'use letters, digits, _ and - (up to 64)'
      : v !== node.id && docStore.getState().index.has(v)
        ? `"${v}" is taken`
        : null;
  return (
    <div className="node-config">
      {(issues.length > 0 || cycle) && (
        <ul className="issue-list" data-testid="node-issues">
          {cycle && <li>{cycle}</li>}
          {issues.map(([path, message]) => (
            <li key={path + message}>
              {path && <span className="mono">{path}</span>} {message}
            </li>
          ))}
        </ul>
      )}
      {mine.length > 0 && (
        <ul className="warn-list" data-testid="node-warnings">
          {mine.map((w) => (
            <li key={w.path + w.message}>{w.message}</li>
          ))}
        </ul>
      )}
      <div className="field-row">
        <Field label="Id">
          <CommitInput
            testId="field-id"
            mono
            value={node.id}
            check={checkId}
            onCommit={(v) => {
              docStore.getState().apply({ type: 'rename-node', id: node.id, newId: v });
              docStore.getState().select([v], []);
            }}
          />
        </Field>
        <Field label="Label">
          <TextInput
            testId="field-label"
            value={node.label ?? ''}
            placeholder={typeLabel(node.type)}
            onChange={(v) => patchNode(node.id, { label: v || undefined }, 'label')}
          />
        </Field>
      </div>
      <ConfigFields node={node} errors={errors} />
      <Reliability node={node} />
      <ConfigJson key={node.id} node={node} />
    </div>
  );
}
