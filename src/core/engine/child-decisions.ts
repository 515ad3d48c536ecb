/**
 * A decision asked of a run at a node it does not have: the one child run (of any depth) that
 * waits there takes it; several are not guessed between.
 */
import { AppError } from '../errors.js';
import { asRunId, type RunId } from '../ids.js';
import type { RunState } from './state.js';

/** What a person asks of a node that waits in a child run: decide an approval, retry or resolve a node in doubt. */
export type ChildAction = 'approve' | 'retry' | 'resolve';

/** How to give `verb` in one child run (resolve has no CLI command: the API's method). */
function childActionHint(verb: ChildAction, nodeId: string): string {
  return verb === 'resolve'
    ? `runs.resolve with runId CHILD_RUN_ID and nodeId ${nodeId}`
    : `statepipe ${verb} CHILD_RUN_ID ${nodeId}`;
}

/** The child runs (any depth) of `runId` that wait at `nodeId`. */
async function childrenWaitingAt(
  inspect: (runId: RunId) => Promise<RunState>,
  runId: RunId,
  nodeId: string,
): Promise<RunId[]> {
  const state = await inspect(runId);
  const found: RunId[] = [];
  for (const n of state.nodes.values())
    for (const c of n.waitingChildren ?? []) {
      if (c.nodeIds.includes(nodeId)) found.push(asRunId(c.runId));
      else found.push(...(await childrenWaitingAt(inspect, asRunId(c.runId), nodeId)));
    }
  return found;
}

/**
 * The child run (of any depth) of `runId` that waits at `nodeId`, if one does. When several do
 * (a map's items at the same approval, or in doubt at the same node) the decision is not
 * guessed: refused, naming them and the command (`verb`: what was asked) to give in the one meant.
 */
export async function childWaitingAt(
  inspect: (runId: RunId) => Promise<RunState>,
  runId: RunId,
  nodeId: string,
  verb: ChildAction = 'approve',
): Promise<RunId | undefined> {
  const found = await childrenWaitingAt(inspect, runId, nodeId);
  if (found.length > 1)
    throw new AppError(
      'conflict',
      `node ${nodeId} waits in ${found.length} child runs of run ${runId} (${found.join(', ')}): decide it in the one you mean (${childActionHint(verb, nodeId)})`,
    );
  return found[0];
}
