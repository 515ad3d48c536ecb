/**
 * Child runs in the run view: the way into a composition node's child (a double-click or the
 * card's button: a subgraph's child, a loop's latest iteration; a map's node lists its items in
 * the inspector) and the way back, a breadcrumb over the run's ancestors (parent › node › child,
 * as deep as the nesting goes). Every level is the one run view with all of its controls.
 */
import { useEffect, useState, type JSX } from 'react';
import type { MethodOutput } from '../../contract/api';
import { readGraphText } from '../doc/files';
import { hostClient } from '../api/client';
import { shortId } from '../ui/format';
import { Icon } from '../ui/icons';
import { useRunView, useSession, type RunViewContextValue } from './context';
import { keyLabel } from './children';
import type { RunSession } from './session';

/** What opens a composition node's child run in the view. */
export function childOpener(session: RunSession, openRun: RunViewContextValue['openRun']): (nodeId: string) => void {
  return (nodeId) => {
    const s = session.getState();
    const type = s.graph?.nodes.find((n) => n.id === nodeId)?.type;
    if (type !== 'map' && type !== 'loop' && type !== 'subgraph') return;
    const children = s.shown?.nodes[nodeId]?.children;
    // A map's items are many: its inspector lists them, to pick one.
    if (type === 'map' || !children?.length) {
      session.setState({ selected: nodeId, tab: 'node' });
      return;
    }
    openRun(children[children.length - 1]!.runId, { related: true });
  };
}

interface Level {
  runId: string;
  graphName: string;
  /** The node of this run that started the run below it. */
  nodeId: string;
  /** How the run below is named here: `item 3`, `iteration 2`, `child`. */
  childLabel: string;
}

type Link = { runId: string; nodeId: string; key: number };

/** The run's ancestors, top-level first, each with the node that started the run below it. */
async function ancestry(parent: Link): Promise<Level[]> {
  const c = hostClient();
  const levels: Level[] = [];
  let link: Link | undefined = parent;
  // At most 8 levels of nesting (docs/composition.md); a few more guard a broken record.
  for (let depth = 0; link && depth < 12; depth++) {
    const { runId, nodeId, key }: Link = link;
    const [snap, first]: [MethodOutput<'graphs.get'>, MethodOutput<'runs.events'>] = await Promise.all([
      c.call('graphs.get', { graphIdOrRunId: runId }),
      c.call('runs.events', { runId, afterSeq: 0, limit: 1 }),
    ]);
    const graph = readGraphText(snap.json, runId);
    const type = graph.nodes.find((n) => n.id === nodeId)?.type;
    levels.unshift({ runId, graphName: graph.name ?? graph.id, nodeId, childLabel: keyLabel(type, key) });
    const created: MethodOutput<'runs.events'>['events'][number] | undefined = first.events[0];
    link = created?.type === 'run.created' ? (created.data as { parent?: Link }).parent : undefined;
  }
  return levels;
}

export function Breadcrumb(): JSX.Element | null {
  const { openRun } = useRunView();
  const parent = useSession((s) => s.live?.parent);
  const graph = useSession((s) => s.graph);
  const [levels, setLevels] = useState<Level[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const parentKey = parent ? `${parent.runId}/${parent.nodeId}/${parent.key}` : '';
  useEffect(() => {
    if (!parent) return;
    let stop = false;
    ancestry(parent).then(
      (l) => !stop && setLevels(l),
      (err: unknown) => !stop && setFailed(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      stop = true;
    };
    // parentKey names the parent: the object itself is new on every fold.
  }, [parentKey]);
  if (!parent) return null;
  const shown: Level[] = levels ?? [
    { runId: parent.runId, graphName: shortId(parent.runId), nodeId: parent.nodeId, childLabel: '…' },
  ];
  return (
    <nav className="run-crumbs" aria-label="Parent runs" data-testid="run-breadcrumb">
      <ol>
        {shown.map((l, i) => (
          <li key={l.runId}>
            <button
              type="button"
              className="linkish"
              data-testid={`crumb-run-${l.runId}`}
              title={`Run ${l.runId}`}
              onClick={() => openRun(l.runId, { related: true })}
            >
              {i > 0 ? `${shown[i - 1]!.childLabel} · ` : ''}
              {l.graphName}
            </button>
            <Icon name="chevron" size={11} />
            <button
              type="button"
              className="linkish mono"
              data-testid={`crumb-node-${l.nodeId}`}
              title={`Node ${l.nodeId} of run ${l.runId}`}
              onClick={() => openRun(l.runId, { related: true, select: l.nodeId })}
            >
              {l.nodeId}
            </button>
            <Icon name="chevron" size={11} />
          </li>
        ))}
        <li aria-current="page" data-testid="crumb-current">
          {shown.at(-1)!.childLabel}
          {graph ? ` · ${graph.name ?? graph.id}` : ''}
        </li>
      </ol>
      {failed && (
        <span className="field-message" role="alert">
          Could not read the parent runs: {failed}
        </span>
      )}
    </nav>
  );
}
