/**
 * Two runs side by side: the canvas of the second run's graph with every node whose output
 * (or outcome) differs highlighted (`data-diff="changed"`), a table of token, cost and latency
 * deltas per node, and the JSON diff of the selected node's outputs.
 */
import { useEffect, useMemo, useState, type JSX } from 'react';
import { useStore } from 'zustand';
import type { Graph } from '../../core/graph/schema';
import { hostClient } from '../api/client';
import { graphSource, type DiffMark } from '../canvas/node-source';
import { ReadOnlyCanvas } from '../canvas/ReadOnlyCanvas';
import type { RunSnapshot } from './fold';
import { fmtCost, fmtDelta, fmtMs, fmtTokens, shortId } from '../ui/format';
import { jsonDiff } from '../ui/json-diff';
import { JsonDiffView } from '../ui/JsonDiffView';
import { diffRuns } from './run-diff';
import { idleSession, openRunSession, type RunSession } from './session';

const EMPTY = idleSession();

/** A run followed live, for the diff: its graph and its snapshot at the end. */
function useRun(runId: string): { data: { graph: Graph } | null; live: RunSnapshot | null; error: string | null } {
  const [session, setSession] = useState<RunSession | null>(null);
  useEffect(() => {
    const o = openRunSession(hostClient(), runId);
    setSession(o.session);
    return () => o.close();
  }, [runId]);
  const s = useStore(session ?? EMPTY);
  return { data: s.graph ? { graph: s.graph } : null, live: session ? s.live : null, error: s.loadError };
}

export function RunDiff({
  a,
  b,
  onBack,
  onOpenRun,
}: {
  a: string;
  b: string;
  onBack(): void;
  onOpenRun(runId: string): void;
}): JSX.Element {
  const A = useRun(a);
  const B = useRun(b);
  const [picked, setPicked] = useState<string | null>(null);
  const sa = A.live;
  const sb = B.live;
  const rows = useMemo(
    () => (A.data && B.data && sa && sb ? diffRuns(A.data.graph, sa, B.data.graph, sb) : []),
    [A.data, B.data, sa, sb],
  );
  const marks = useMemo(
    () => Object.fromEntries(rows.map((r) => [r.nodeId, r.mark])) as Record<string, DiffMark>,
    [rows],
  );
  const source = useMemo(
    () =>
      B.data && sb
        ? graphSource(B.data.graph, (id) => sb.nodes[id], {
            useMark: (id) =>
              marks[id]
                ? { diff: marks[id], ...(marks[id] === 'changed' ? { note: 'output changed' } : {}) }
                : undefined,
          })
        : null,
    [B.data, sb, marks],
  );
  const edgeClasses = useMemo(
    () =>
      Object.fromEntries(
        (B.data?.graph.edges ?? [])
          .filter((e) => marks[e.source] === 'changed' && marks[e.target] === 'changed')
          .map((e) => [e.id, 'diff-edge']),
      ),
    [B.data, marks],
  );
  const changed = rows.filter((r) => r.mark !== 'same');
  const node = picked ?? changed[0]?.nodeId ?? null;
  const row = rows.find((r) => r.nodeId === node);
  const outDiff = useMemo(() => (row ? jsonDiff(row.a?.output, row.b?.output) : []), [row]);

  const back = (
    <button type="button" className="btn btn-ghost" data-testid="run-diff-back" onClick={onBack}>
      ← Runs
    </button>
  );
  const err = A.error ?? B.error;
  if (err || !A.data || !B.data || !sa || !sb || !source) {
    return (
      <div className="run-detail" data-testid="run-diff" data-loading="true">
        <div className="rd-head">{back}</div>
        <div className={err ? 'field-message' : 'muted'}>{err ?? 'Loading…'}</div>
      </div>
    );
  }
  const sameGraph = A.data.graph.id === B.data.graph.id;
  return (
    <div className="run-detail" data-testid="run-diff" data-changed={changed.map((r) => r.nodeId).join(' ')}>
      <div className="rd-head">
        {back}
        <h2 className="rd-title">Compare runs</h2>
        <span className="diff-run diff-run-a">
          A{' '}
          <button type="button" className="linkish mono" onClick={() => onOpenRun(a)}>
            {shortId(a)}
          </button>
          <span className={`run-status status-${sa.status}`}>{sa.status}</span>
        </span>
        <span className="muted">→</span>
        <span className="diff-run diff-run-b">
          B{' '}
          <button type="button" className="linkish mono" onClick={() => onOpenRun(b)}>
            {shortId(b)}
          </button>
          <span className={`run-status status-${sb.status}`}>{sb.status}</span>
        </span>
        <span className="spacer" />
        <span className="muted small" data-testid="diff-summary">
          {changed.length} of {rows.length} nodes differ
        </span>
      </div>
      {!sameGraph && (
        <div className="rd-notice" data-testid="diff-graph-mismatch">
          These runs are of different graphs ({A.data.graph.id} and {B.data.graph.id}): nodes are matched by id.
        </div>
      )}
      <div className="rd-body">
        <div className="rd-graph">
          <ReadOnlyCanvas
            graph={B.data.graph}
            source={source}
            selected={node}
            onSelect={(id) => id && setPicked(id)}
            edgeClasses={edgeClasses}
            testId="diff-canvas"
          />
        </div>
        <div className="rd-panel">
          <table className="table diff-nodes" data-testid="diff-nodes">
            <thead>
              <tr>
                <th>Node</th>
                <th>Output</th>
                <th className="num">Tokens Δ</th>
                <th className="num">Cost Δ</th>
                <th className="num">Latency Δ</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                type M = NonNullable<typeof r.a>;
                // A node in one run only has nothing to compare: its own figure, not a ±0.
                const one = r.a ?? r.b;
                const delta = (f: (m: M) => number, fmt: (v: number) => string) =>
                  r.a && r.b ? (
                    fmtDelta(f(r.b) - f(r.a), fmt)
                  ) : (
                    <span className="muted" title={`${r.a ? 'only in A' : 'only in B'}: ${fmt(f(one!))}`}>
                      — ({fmt(f(one!))})
                    </span>
                  );
                return (
                  <tr
                    key={r.nodeId}
                    className={`diff-node-row mark-${r.mark}${r.nodeId === node ? ' is-selected' : ''}`}
                    data-testid={`diff-row-${r.nodeId}`}
                    data-diff={r.mark}
                    onClick={() => setPicked(r.nodeId)}
                  >
                    <td className="mono">{r.nodeId}</td>
                    <td>
                      <span className={`diff-mark mark-${r.mark}`}>
                        {r.mark === 'changed'
                          ? 'changed'
                          : r.mark === 'same'
                            ? 'same'
                            : r.mark === 'only-a'
                              ? 'only in A'
                              : 'only in B'}
                      </span>
                    </td>
                    <td className="num" data-testid={`diff-tokens-${r.nodeId}`}>
                      {delta((m) => m.tokens, fmtTokens)}
                    </td>
                    <td className="num">{delta((m) => m.costUsd, fmtCost)}</td>
                    <td className="num">{delta((m) => m.ms, fmtMs)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {row && (
            <div className="diff-detail" data-testid="diff-detail" data-node={row.nodeId}>
              <div className="trace-field-label">
                output of <span className="mono">{row.nodeId}</span>: A → B
              </div>
              <JsonDiffView entries={outDiff} testId="diff-output" labels={['A', 'B']} />
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
