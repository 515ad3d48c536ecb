/**
 * Every saved version of a graph: open one in the editor, restore one (it becomes the latest
 * again), and compare two on the canvas: the newer version's graph with what changed marked on
 * each card (added, removed, changed), a table of the differences and the JSON diff of the
 * selected node.
 */
import { useCallback, useEffect, useMemo, useState, type JSX } from 'react';
import type { MethodOutput } from '../../contract/api';
import type { Graph } from '../../core/graph/schema';
import { hostClient } from '../api/client';
import { graphSource } from '../canvas/node-source';
import { ReadOnlyCanvas } from '../canvas/ReadOnlyCanvas';
import { openGraph } from '../doc/commands';
import { readGraphText } from '../doc/files';
import { useDoc } from '../doc/store';
import { fmtTime } from '../ui/format';
import { Icon } from '../ui/icons';
import { JsonDiffView } from '../ui/JsonDiffView';
import { uiStore } from '../ui/ui-store';
import { diffGraphs } from './graph-diff';
import './versions.css';

type Version = MethodOutput<'graphs.versions'>['versions'][number];
const MARK_TEXT = { changed: 'changed', same: 'same', 'only-a': 'removed', 'only-b': 'added' } as const;
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function fetchVersion(graphId: string, version: number): Promise<Graph> {
  const r = await hostClient().call('graphs.get', { graphIdOrRunId: graphId, version });
  return readGraphText(r.json, `${graphId} v${version}`);
}

function Compare({ graphId, a, b }: { graphId: string; a: number; b: number }): JSX.Element {
  const [graphs, setGraphs] = useState<[Graph, Graph] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setGraphs(null);
    Promise.all([fetchVersion(graphId, a), fetchVersion(graphId, b)])
      .then((g) => live && setGraphs(g))
      .catch((err: unknown) => live && setError(errText(err)));
    return () => {
      live = false;
    };
  }, [graphId, a, b]);
  const diff = useMemo(() => (graphs ? diffGraphs(graphs[0], graphs[1]) : null), [graphs]);
  const source = useMemo(
    () =>
      diff
        ? graphSource(diff.union, () => undefined, {
            useMark: (id) => {
              const m = diff.marks[id]!;
              return m === 'same' ? { diff: m } : { diff: m, note: MARK_TEXT[m] };
            },
          })
        : null,
    [diff],
  );
  const edgeClasses = useMemo(
    () =>
      diff
        ? Object.fromEntries([
            ...diff.removedEdges.map((id) => [id, 'diff-removed']),
            ...diff.addedEdges.map((id) => [id, 'diff-added']),
          ])
        : {},
    [diff],
  );
  if (error) return <div className="field-message">{error}</div>;
  if (!diff || !source) return <div className="muted">Loading…</div>;
  const changed = Object.entries(diff.marks).filter(([, m]) => m !== 'same');
  const node = picked ?? changed[0]?.[0] ?? null;
  return (
    <div className="vh-compare" data-testid="version-diff" data-changed={changed.map(([id]) => id).join(' ')}>
      <div className="vh-compare-canvas">
        <ReadOnlyCanvas
          graph={diff.union}
          source={source}
          selected={node}
          onSelect={(id) => id && setPicked(id)}
          edgeClasses={edgeClasses}
          testId="version-diff-canvas"
        />
      </div>
      <div className="vh-compare-side">
        <h2 className="vh-h">
          v{a} → v{b}: {changed.length} node{changed.length === 1 ? '' : 's'} differ
          {diff.graph.length > 0 ? `, ${diff.graph.length} graph field${diff.graph.length === 1 ? '' : 's'}` : ''}
        </h2>
        <ul className="vh-changes" data-testid="version-diff-nodes">
          {changed.map(([id, m]) => (
            <li key={id}>
              <button
                type="button"
                className={`linkish diff-mark mark-${m}${id === node ? ' is-selected' : ''}`}
                data-testid={`version-diff-node-${id}`}
                onClick={() => setPicked(id)}
              >
                <span className="mono">{id}</span> {MARK_TEXT[m]}
              </button>
            </li>
          ))}
        </ul>
        {node && diff.nodes[node] && (
          <>
            <h3 className="trace-field-label">
              <span className="mono">{node}</span>: v{a} → v{b}
            </h3>
            <JsonDiffView entries={diff.nodes[node]!} testId="version-diff-entries" labels={[`v${a}`, `v${b}`]} />
          </>
        )}
        {diff.graph.length > 0 && (
          <>
            <h3 className="trace-field-label">graph fields</h3>
            <JsonDiffView entries={diff.graph} testId="version-diff-graph" labels={[`v${a}`, `v${b}`]} />
          </>
        )}
      </div>
    </div>
  );
}

export function VersionHistory({ graphId, onBack }: { graphId: string; onBack(): void }): JSX.Element {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [latest, setLatest] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<number[]>([]);
  const current = useDoc((s) => (s.savedId === graphId ? s.dbVersion : null));
  const load = useCallback(() => {
    hostClient()
      .call('graphs.versions', { graphId })
      .then((r) => {
        setVersions(r.versions);
        setLatest(r.latest);
        setPicked((p) => (p.length ? p : r.versions.slice(0, 2).map((v) => v.version)));
      })
      .catch((err: unknown) => setError(errText(err)));
  }, [graphId]);
  useEffect(load, [load]);
  const restore = async (v: number) => {
    try {
      const graph = await fetchVersion(graphId, v);
      const r = await hostClient().call('graphs.save', { graph });
      uiStore.getState().notify('success', `Restored version ${v} of ${graphId}: it is the latest again`);
      await openGraph(graphId, r.version);
    } catch (err) {
      uiStore.getState().notify('error', `Not restored: ${errText(err)}`);
    }
  };
  const toggle = (v: number) =>
    setPicked((p) => (p.includes(v) ? p.filter((x) => x !== v) : [...p, v].slice(-2)).sort((x, y) => x - y));
  const [a, b] = [...picked].sort((x, y) => x - y);
  return (
    <div className="version-history" data-testid="version-history">
      <div className="toolbar" role="toolbar" aria-label="Versions">
        <button type="button" className="btn btn-tool" data-testid="history-back" onClick={onBack}>
          <Icon name="back" size={15} />
          <span className="btn-label">Editor</span>
        </button>
        <h1 className="run-title">
          Versions of <b>{graphId}</b>
        </h1>
      </div>
      {error && <div className="field-message">{error}</div>}
      <div className="vh-body">
        <div className="vh-list">
          <table className="table vh-table" data-testid="versions-table">
            <caption className="visually-hidden">Saved versions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Compare</span>
                </th>
                <th scope="col">Version</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(versions ?? []).map((v) => (
                <tr key={v.version} data-testid={`version-${v.version}`}>
                  <td>
                    <input
                      type="checkbox"
                      data-testid={`version-pick-${v.version}`}
                      aria-label={`Compare version ${v.version}`}
                      checked={picked.includes(v.version)}
                      onChange={() => toggle(v.version)}
                    />
                  </td>
                  <td>
                    <div>
                      <b>v{v.version}</b> {v.name && <span>{v.name}</span>}
                      {v.version === latest && (
                        <span className="chip" data-testid="version-latest">
                          latest
                        </span>
                      )}
                      {current === v.version && <span className="chip">in the editor</span>}
                    </div>
                    <div className="muted small">
                      {fmtTime(v.createdAt)} · {v.nodes} nodes · {v.runs} run{v.runs === 1 ? '' : 's'}
                    </div>
                  </td>
                  <td className="vh-actions">
                    <button
                      type="button"
                      className="btn btn-sm"
                      data-testid={`version-open-${v.version}`}
                      onClick={() => void openGraph(graphId, v.version)}
                    >
                      Open
                    </button>
                    {v.version !== latest && (
                      <button
                        type="button"
                        className="btn btn-sm"
                        data-testid={`version-restore-${v.version}`}
                        onClick={() => void restore(v.version)}
                        title="Make this version the latest again"
                      >
                        Restore
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {versions && versions.length < 2 && <p className="muted small">Save another version to compare two.</p>}
        </div>
        {a !== undefined && b !== undefined ? (
          <Compare graphId={graphId} a={a} b={b} />
        ) : (
          <div className="muted vh-empty">Pick two versions to compare them on the canvas.</div>
        )}
      </div>
    </div>
  );
}
