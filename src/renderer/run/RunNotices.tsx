/**
 * Notices above a run's canvas: the run is shown as of an earlier event (time travel); it was
 * rejected by a person (not a crash); it ran unsaved edits; its graph has changed since; the
 * fold refused events of its log.
 */
import { useMemo, useState, type JSX } from 'react';
import { jsonDiff } from '../ui/json-diff';
import { JsonDiffView } from '../ui/JsonDiffView';
import { Icon } from '../ui/icons';
import { useRunView, useSession } from './context';
import { decisionText } from './inspector-parts';
import { travelTo } from './session';

const NONE: readonly string[] = [];

function GraphChanged(): JSX.Element | null {
  const snapshotJson = useSession((s) => s.snapshotJson);
  const latestJson = useSession((s) => s.latestJson);
  const graphId = useSession((s) => s.graph?.id);
  const [open, setOpen] = useState(false);
  const entries = useMemo(
    () => (latestJson && snapshotJson ? jsonDiff(JSON.parse(snapshotJson), JSON.parse(latestJson)) : []),
    [latestJson, snapshotJson],
  );
  if (!latestJson) return null;
  return (
    <div className="rd-notice" data-testid="graph-changed">
      <span>
        The saved graph <b>{graphId}</b> differs from the version this run ran: the canvas shows the version it ran (
        {entries.length} difference{entries.length === 1 ? '' : 's'}).
      </span>
      <button type="button" className="btn btn-ghost" data-testid="graph-diff-toggle" onClick={() => setOpen(!open)}>
        {open ? 'Hide changes' : 'Show changes'}
      </button>
      {open && <JsonDiffView entries={entries} testId="graph-diff" labels={['as run', 'latest']} />}
    </div>
  );
}

/** A run failed because a person rejected an approval that had no `when: false` edge. */
function Rejected(): JSX.Element | null {
  const nodeId = useSession((s) => (s.shown?.error?.kind === 'rejected' ? s.shown.failedNodeId : undefined));
  const decision = useSession((s) => (nodeId ? s.shown?.nodes[nodeId]?.approval?.decision : undefined));
  if (!nodeId || !decision) return null;
  const text = decisionText(decision);
  return (
    <div className="rd-notice is-rejected" data-testid="run-rejected" role="status">
      <Icon name="close" size={14} />
      <span>
        <b>{text}</b> (approval <span className="mono">{nodeId}</span>). It has no{' '}
        <span className="mono">when: false</span> edge, so the run stops here as failed.
      </span>
    </div>
  );
}

/** A run paused by its host stopping in order (serve's Ctrl+C, the app quitting), not by a person. */
function StoppedByHost(): JSX.Element | null {
  const stopped = useSession((s) => s.shown?.status === 'paused' && s.shown.pauseReason === 'stopped');
  if (!stopped) return null;
  return (
    <div className="rd-notice" data-testid="run-paused-by-host" role="status">
      <span>
        Paused when the server (or the app) that drove it stopped, not by a person. Resume continues it: a node cut off
        then runs again, or waits what is left of its delay or backoff; an unsafe one is marked in doubt for you to
        decide.
      </span>
    </div>
  );
}

export function RunNotices(): JSX.Element {
  const { session } = useRunView();
  const at = useSession((s) => s.at);
  const saved = useSession((s) => s.saved);
  // A child run's graph came with its parent (the file's library, or a saved graph): no edits of the person's.
  const child = useSession((s) => s.live?.parent !== undefined);
  const graphId = useSession((s) => s.graph?.id);
  const problems = useSession((s) => s.live?.problems ?? NONE);
  return (
    <div className="run-notices">
      {at !== null && (
        <div className="rd-notice is-travel" data-testid="time-travel-notice">
          <span>
            Showing the run as it was at event <b>#{at}</b>: the canvas, the inspector, the trace, the timeline and the
            logs.
          </span>
          <button type="button" className="btn btn-sm" onClick={() => travelTo(session, null)}>
            Back to live
          </button>
        </div>
      )}
      <Rejected />
      <StoppedByHost />
      {!saved && !child && (
        <div className="rd-notice" data-testid="run-draft">
          <span>
            This run ran unsaved edits of <b>{graphId}</b>: they are kept with the run, not in the graph list. Save them
            with “Save as graph”.
          </span>
        </div>
      )}
      {saved && <GraphChanged />}
      {problems.length > 0 && (
        <div className="rd-notice" data-testid="run-problems">
          The studio could not apply {problems.length} event{problems.length === 1 ? '' : 's'} of this run’s log:{' '}
          {problems.slice(0, 3).join('; ')}
        </div>
      )}
    </div>
  );
}
