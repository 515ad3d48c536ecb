/**
 * Test one node: run the selected node alone with pinned inputs (the run input and the outputs
 * of the nodes it reads: typed by hand, or taken from the last run), without running the graph.
 * The result shows in the inspector. Pins are kept per graph with the draft, not in the file.
 */
import { useMemo, useState, type JSX } from 'react';
import type { MethodOutput } from '../../contract/api';
import type { Graph, GraphNode } from '../../core/graph/schema';
import { referencedNodes } from '../../core/graph/expression-refs';
import { templateExpressions, UNTEMPLATED_CONFIG_KEYS } from '../../core/graph/templates';
import { topology } from '../../core/graph/topology';
import { hostClient } from '../api/client';
import { kindUi } from '../doc/node-kinds';
import { useDoc } from '../doc/store';
import type { NodeSnapshot } from '../run/fold';
import { Inspector } from '../run/Inspector';
import { Icon } from '../ui/icons';
import { useUi } from '../ui/ui-store';
import { JsonTextArea } from './fields';
import { lastRunScope } from './last-run';
import { setPins, usePins } from './pins';

type Result = MethodOutput<'nodes.test'>;

/** The nodes whose outputs the node reads: those its templates name (every one upstream, for code and agents). */
export function readsOf(graph: Graph, node: GraphNode): string[] {
  let above: Set<string>;
  try {
    above = topology(graph).ancestors(node.id);
  } catch {
    above = new Set(graph.nodes.map((n) => n.id).filter((id) => id !== node.id));
  }
  if (kindUi(node.type)?.readsUpstream) return graph.nodes.map((n) => n.id).filter((id) => above.has(id));
  const named = new Set<string>();
  const config = Object.fromEntries(Object.entries(node.config).filter(([k]) => !UNTEMPLATED_CONFIG_KEYS.has(k)));
  const exprs = [
    ...templateExpressions(config),
    ...(typeof node.config['expression'] === 'string' ? [node.config['expression']] : []),
  ];
  for (const e of exprs) {
    try {
      for (const id of referencedNodes(e)) named.add(id);
    } catch {
      /* an expression that does not parse: its problem shows on the node */
    }
  }
  return graph.nodes.map((n) => n.id).filter((id) => named.has(id));
}

/** A test's result as the inspector shows a node. */
function asSnapshot(r: Result, startedAt: number): NodeSnapshot {
  const tokens = r.usage ? r.usage.inputTokens + r.usage.outputTokens : 0;
  return {
    status: r.status,
    attempt: 1,
    attempts: [
      {
        attempt: 1,
        startedAt,
        finishedAt: startedAt + r.durationMs,
        status: r.status,
        ...(r.error ? { error: r.error as NonNullable<NodeSnapshot['error']> } : {}),
        ...(r.usage ? { usage: r.usage } : {}),
        ...(r.costUsd !== undefined ? { costUsd: r.costUsd } : {}),
        ...(r.model ? { model: r.model } : {}),
      },
    ],
    ...(r.input !== undefined ? { input: r.input } : {}),
    ...(r.output !== undefined ? { output: r.output } : {}),
    ...(r.error ? { error: r.error as NonNullable<NodeSnapshot['error']> } : {}),
    stream: r.stream,
    logs: r.logs.map((l) => ({ ts: '', ...l })),
    steps: [],
    tokens,
    costUsd: r.costUsd ?? 0,
    // A test that ended: nothing is still running.
    liveTokens: tokens,
    liveCostUsd: r.costUsd ?? 0,
    estimating: false,
  };
}

export function NodeTest({ nodeId }: { nodeId: string }): JSX.Element | null {
  const graph = useDoc((s) => s.graph);
  const node = useDoc((s) => s.index.get(nodeId));
  const pins = usePins(graph.id);
  const lastRun = useUi((s) => s.lastRun);
  const reads = useMemo(() => (node ? readsOf(graph, node) : []), [graph, node]);
  const [result, setResult] = useState<{ snap: NodeSnapshot; received: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!node) return null;
  const pin = (patch: Partial<typeof pins>) => setPins(graph.id, { ...pins, ...patch });
  const fromLastRun = async () => {
    if (!lastRun) return;
    try {
      const scope = await lastRunScope(lastRun);
      const outputs = { ...pins.outputs };
      for (const id of reads) if (scope.nodes[id]) outputs[id] = scope.nodes[id]!.output;
      pin({ input: scope.input, outputs });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const run = async () => {
    setBusy(true);
    setError(null);
    const startedAt = Date.now();
    const outputs = Object.fromEntries(reads.filter((id) => id in pins.outputs).map((id) => [id, pins.outputs[id]]));
    try {
      const r = await hostClient().call('nodes.test', {
        graph,
        nodeId,
        input: pins.input,
        outputs,
      });
      setResult({ snap: asSnapshot(r, startedAt), received: { input: pins.input, nodes: outputs } });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="node-test" data-testid="node-test">
      <p className="muted small">
        Runs <b>{node.label || nodeId}</b> alone with these inputs; nothing else runs and nothing is stored. Pins are
        kept with this graph’s draft in the studio, not in the graph file.
      </p>
      <div className="field">
        <label className="field-label" htmlFor="pin-input">
          Run input <span className="field-hint mono">input</span>
        </label>
        <JsonTextArea
          id="pin-input"
          testId="pin-input"
          value={pins.input}
          rows={3}
          onChange={(v) => pin({ input: v })}
        />
      </div>
      {reads.map((id) => (
        <div className="field" key={id}>
          <label className="field-label" htmlFor={`pin-${id}`}>
            Output of {id} <span className="field-hint mono">nodes.{id}.output</span>
          </label>
          <JsonTextArea
            id={`pin-${id}`}
            testId={`pin-${id}`}
            value={pins.outputs[id]}
            rows={3}
            onChange={(v) => pin({ outputs: { ...pins.outputs, [id]: v } })}
          />
        </div>
      ))}
      <div className="dialog-actions">
        <button
          type="button"
          className="btn"
          data-testid="test-use-last-run"
          disabled={!lastRun}
          title={lastRun ? `Pin the values of run ${lastRun}` : 'Run the graph once to pin its values'}
          onClick={() => void fromLastRun()}
        >
          Use the last run’s values
        </button>
        <span className="spacer" />
        <button
          type="button"
          className="btn btn-primary"
          data-testid="test-run-node"
          disabled={busy}
          onClick={() => void run()}
        >
          <Icon name="test" size={13} /> {busy ? 'Running…' : 'Run this node'}
        </button>
      </div>
      {error && (
        <div className="field-message" role="alert" data-testid="test-error">
          {error}
        </div>
      )}
      {result && (
        <Inspector
          nodeId={nodeId}
          node={node}
          snap={result.snap}
          received={node.type === 'code' ? result.received : undefined}
          note="The result of testing this node alone."
        />
      )}
    </div>
  );
}
