/**
 * Time travel (pure): the run as it was at an event seq, folded by the engine's own fold
 * (core/engine/state), so the canvas shows exactly what the engine knew then.
 */
import { applyEvent, initialState, type RunState } from '../../core/engine/state';
import type { RunEvent } from '../../core/events';
import type { Graph } from '../../core/graph/schema';
import { asRunId } from '../../core/ids';

/** The state after every event with `seq <= seq` (all events when seq is undefined). */
export function stateAt(runId: string, graph: Graph, events: readonly RunEvent[], seq?: number): RunState {
  const state = initialState(asRunId(runId), graph);
  for (const e of events) {
    if (seq !== undefined && e.seq > seq) break;
    try {
      applyEvent(state, e);
    } catch {
      break; // a log this fold refuses (a newer engine's event): show what came before it
    }
  }
  return state;
}

/** Each node's status in a folded state. */
export function nodeStatuses(state: RunState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, n] of state.nodes) out[id] = n.status;
  return out;
}

/** A one-line label of an event for the slider's readout. */
export function eventLabel(e: RunEvent | undefined): string {
  if (!e) return 'before the first event';
  return `#${e.seq} ${e.type}${e.nodeId ? ` · ${e.nodeId}` : ''}`;
}
