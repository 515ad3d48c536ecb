/** The side panel for the selected node: common fields, per-type form, reliability, full config JSON. */
import { useMemo, type JSX } from 'react';
import { NODE_ID_RE, type GraphNode } from '../../core/graph/schema';
import { findKind, sideEffectOf, type NodeType } from '../../core/nodes/registry';
import { TYPE_LABELS } from '../doc/defaults';
import { fieldOf } from '../doc/issues';
import { docStore, useDoc } from '../doc/store';
import { TypeIcon } from '../ui/icons';
import { CommitInput, Field, JsonTextArea, NumberInput, Select, TextArea, TextInput } from './fields';
import { MonacoField } from './MonacoField';

const PROVIDERS = ['mock', 'openai', 'anthropic', 'openai-compatible'] as const;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

type Cfg = Record<string, unknown>;

function setConfig(id: string, key: string, value: unknown): void {
  const s = docStore.getState();
  const node = s.index.get(id);
  if (!node) return;
  const config: Cfg = { ...node.config };
  if (value === undefined) delete config[key];
  else config[key] = value;
  s.apply({ type: 'update-node', id, patch: { config } }, { coalesce: `${id}.config.${key}` });
}

function patchNode(id: string, patch: Partial<GraphNode>, key: string): void {
  docStore.getState().apply({ type: 'update-node', id, patch }, { coalesce: `${id}.${key}` });
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

function TypeForm({ node, errors }: { node: GraphNode; errors: Record<string, string> }): JSX.Element | null {
  const c = node.config;
  const id = node.id;
  const text = (
    key: string,
    label: string,
    opts: { area?: boolean; mono?: boolean; rows?: number; hint?: string; optional?: boolean } = {},
  ) => (
    <Field label={label} hint={opts.hint} error={errors[key]}>
      {opts.area ? (
        <TextArea
          testId={`field-${key}`}
          value={str(c[key])}
          rows={opts.rows}
          mono={opts.mono}
          onChange={(v) => setConfig(id, key, opts.optional && v === '' ? undefined : v)}
        />
      ) : (
        <TextInput
          testId={`field-${key}`}
          value={str(c[key])}
          mono={opts.mono}
          onChange={(v) => setConfig(id, key, opts.optional && v === '' ? undefined : v)}
        />
      )}
    </Field>
  );
  switch (node.type as NodeType) {
    case 'llm':
    case 'agent':
      return (
        <>
          <div className="field-row">
            <Field label="Provider" error={errors['provider']}>
              <Select
                testId="field-provider"
                value={str(c['provider']) as (typeof PROVIDERS)[number]}
                options={PROVIDERS.map((p) => ({ value: p, label: p }))}
                onChange={(v) => setConfig(id, 'provider', v)}
              />
            </Field>
            {text('model', 'Model', { mono: true })}
          </div>
          {c['provider'] === 'openai-compatible' && text('baseURL', 'Base URL', { mono: true, optional: true })}
          {text('system', 'System', { area: true, rows: 2, optional: true })}
          {text('prompt', 'Prompt', { area: true, rows: 5, hint: 'templates: {{input.x}}, {{nodes.id.output}}' })}
          {node.type === 'agent' && (
            <Field label="Max steps" error={errors['maxSteps']}>
              <NumberInput
                testId="field-maxSteps"
                value={c['maxSteps'] as number | undefined}
                min={1}
                onChange={(v) => setConfig(id, 'maxSteps', v)}
              />
            </Field>
          )}
        </>
      );
    case 'http':
      return (
        <div className="field-row field-row-method">
          <Field label="Method" error={errors['method']}>
            <Select
              testId="field-method"
              value={str(c['method']) as (typeof METHODS)[number]}
              options={METHODS.map((m) => ({ value: m, label: m }))}
              onChange={(v) => setConfig(id, 'method', v)}
            />
          </Field>
          {text('url', 'URL', { mono: true })}
        </div>
      );
    case 'code':
      return (
        <Field label="Code" hint="body of function (input, nodes)" error={errors['code']}>
          <MonacoField
            testId="field-code"
            language="javascript"
            value={str(c['code'])}
            height={200}
            onChange={(v) => setConfig(id, 'code', v)}
          />
        </Field>
      );
    case 'transform':
      return (
        <Field label="Template" hint="JSON; strings may hold templates" error={errors['template']}>
          <JsonTextArea
            testId="field-template"
            value={c['template']}
            rows={7}
            onChange={(v) => setConfig(id, 'template', v)}
          />
        </Field>
      );
    case 'condition':
      return text('expression', 'Expression', { area: true, rows: 2, mono: true, hint: 'JSONata, gives a boolean' });
    case 'approval':
      return (
        <>
          {text('title', 'Title')}
          {text('details', 'Details', { area: true, rows: 3, optional: true })}
        </>
      );
    case 'delay':
      return (
        <Field label="Wait (ms)" error={errors['ms']}>
          <NumberInput
            testId="field-ms"
            value={c['ms'] as number | undefined}
            onChange={(v) => setConfig(id, 'ms', v)}
          />
        </Field>
      );
    case 'output':
      return text('value', 'Value', { area: true, rows: 2, mono: true, hint: 'template' });
    case 'input':
      return (
        <p className="muted small">
          The run input enters the graph here. Its shape is the graph's input schema (Graph panel).
        </p>
      );
    case 'subgraph':
    case 'map':
    case 'loop':
      return (
        <>
          {text('graph', 'Graph', { mono: true, hint: "a graph of this file's library, or a saved graph" })}
          {node.type === 'map' && text('items', 'Items', { mono: true, hint: 'template giving an array' })}
          {node.type === 'loop' && text('until', 'Until', { mono: true, hint: 'JSONata over { previous, iteration }' })}
        </>
      );
  }
  return null;
}

function Reliability({ node }: { node: GraphNode }): JSX.Element {
  const retry = node.retry ?? {};
  const setRetry = (key: string, v: unknown) => {
    const next: Record<string, unknown> = { ...retry, [key]: v };
    if (v === undefined || v === '') delete next[key];
    patchNode(node.id, { retry: Object.keys(next).length ? (next as GraphNode['retry']) : undefined }, `retry.${key}`);
  };
  return (
    <details className="section">
      <summary>Reliability</summary>
      <div className="field-row">
        <Field label="Max attempts">
          <NumberInput
            testId="field-retry-maxAttempts"
            value={retry.maxAttempts}
            min={1}
            placeholder="default"
            onChange={(v) => setRetry('maxAttempts', v)}
          />
        </Field>
        <Field label="Backoff (ms)">
          <NumberInput
            testId="field-retry-backoffMs"
            value={retry.backoffMs}
            placeholder="default"
            onChange={(v) => setRetry('backoffMs', v)}
          />
        </Field>
      </div>
      <div className="field-row">
        <Field label="Strategy">
          <Select
            testId="field-retry-strategy"
            value={retry.strategy ?? ''}
            options={[
              { value: '', label: 'default' },
              ...['exponential', 'linear', 'fixed'].map((s) => ({ value: s, label: s })),
            ]}
            onChange={(v) => setRetry('strategy', v || undefined)}
          />
        </Field>
        <Field label="Timeout (ms)">
          <NumberInput
            testId="field-timeoutMs"
            value={node.timeoutMs}
            min={1}
            placeholder="default"
            onChange={(v) => patchNode(node.id, { timeoutMs: v }, 'timeoutMs')}
          />
        </Field>
      </div>
      <div className="field-row">
        <label className="check">
          <input
            type="checkbox"
            checked={retry.jitter ?? true}
            onChange={(e) => setRetry('jitter', e.target.checked ? undefined : false)}
          />{' '}
          Jitter
        </label>
        <Field label="Side effect">
          <Select
            testId="field-sideEffect"
            value={node.sideEffect ?? ''}
            options={[
              { value: '', label: `default (${sideEffectOf({ ...node, sideEffect: undefined })})` },
              ...['pure', 'idempotent', 'unsafe'].map((s) => ({ value: s, label: s })),
            ]}
            onChange={(v) =>
              patchNode(node.id, { sideEffect: (v || undefined) as GraphNode['sideEffect'] }, 'sideEffect')
            }
          />
        </Field>
      </div>
    </details>
  );
}

function ConfigJson({ node }: { node: GraphNode }): JSX.Element {
  const text = useMemo(() => JSON.stringify(node.config, null, 2), [node.config]);
  const problems = useMemo(() => {
    const r = findKind(node.type)?.configSchema.safeParse(node.config);
    return r && !r.success ? r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`) : [];
  }, [node.config, node.type]);
  return (
    <details className="section" open>
      <summary>Config (JSON)</summary>
      <MonacoField
        testId="config-json"
        language="json"
        schemaType={node.type}
        value={text}
        height={220}
        onChange={(v) => {
          try {
            const parsed = JSON.parse(v) as unknown;
            if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
              docStore
                .getState()
                .apply(
                  { type: 'update-node', id: node.id, patch: { config: parsed as Cfg } },
                  { coalesce: `${node.id}.config-json` },
                );
            }
          } catch {
            /* Monaco marks the syntax error in place */
          }
        }}
      />
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
    <aside className="side-panel" data-testid="node-panel" aria-label={`Node ${node.id}`}>
      <div className="side-head">
        <span className={`type-badge type-${node.type}`}>
          <TypeIcon type={node.type} size={16} />
        </span>
        <div>
          <div className="side-title">{node.label || node.id}</div>
          <div className="muted small">{TYPE_LABELS[node.type as NodeType]} node</div>
        </div>
      </div>
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
            placeholder={TYPE_LABELS[node.type as NodeType]}
            onChange={(v) => patchNode(node.id, { label: v || undefined }, 'label')}
          />
        </Field>
      </div>
      <TypeForm node={node} errors={errors} />
      <Reliability node={node} />
      <ConfigJson node={node} />
    </aside>
  );
}
