/** How a run ends, decided from its state alone (run-end.ts): the events and the way it stops. */
import { describe, expect, it } from 'vitest';
import { edge, node, rawGraph } from '../graph/fixtures.js';
import type { NodeStatus } from '../ports.js';
import { validateGraph } from '../graph/validate.js';
import { asRunId } from '../ids.js';
import { outcomeOf, runEnd } from './run-end.js';
import { initialState, type RunState } from './state.js';

// start → draft → ok (approval) → out
const graph = validateGraph(
  rawGraph(
    [node.input(), node.llm('draft', 'hi'), node.approval('ok'), node.output('out', '{{nodes.draft.output.text}}')],
    [edge('e1', 'start', 'draft'), edge('e2', 'draft', 'ok'), edge('e3', 'ok', 'out')],
  ),
);

function state(status: RunState['status'], nodes: Record<string, NodeStatus>): RunState {
  const s = initialState(asRunId('run_1'), graph);
  s.status = status;
  s.startedAt = '2026-01-01T00:00:00.000Z';
  for (const [id, st] of Object.entries(nodes)) s.nodes.get(id)!.status = st;
  return s;
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('runEnd', () => {
  it('every node done: the run succeeds with its outputs and its time', () => {
    const s = state('running', { start: 'succeeded', draft: 'succeeded', ok: 'succeeded', out: 'succeeded' });
    s.nodes.get('out')!.output = 'hello';
    const end = runEnd(s, graph, false, T0 + 1500);
    expect(end).toEqual({
      kind: 'stop',
      events: [{ type: 'run.succeeded', data: { result: { out: 'hello' }, durationMs: 1500 } }],
    });
  });

  it('a failed node fails the run, cancelling an approval another branch had open', () => {
    const s = state('running', { start: 'succeeded', draft: 'failed', ok: 'waiting', out: 'skipped' });
    expect(runEnd(s, graph, false, T0)).toEqual({
      kind: 'compensate',
      outcome: 'failed',
      failedNode: 'draft',
      events: [{ type: 'node.cancelled', nodeId: 'ok', data: {} }],
    });
  });

  it('a cancel cancels every unfinished node, then the run', () => {
    const s = state('running', { start: 'succeeded', draft: 'running', ok: 'idle', out: 'idle' });
    const end = runEnd(s, graph, true, T0);
    expect(end.kind).toBe('compensate');
    expect(end.events.map((e) => e.nodeId)).toEqual(['draft', 'ok', 'out']);
  });

  it('an open approval: the run waits (once: a run already waiting commits nothing)', () => {
    const s = state('running', { start: 'succeeded', draft: 'succeeded', ok: 'waiting', out: 'idle' });
    expect(runEnd(s, graph, false, T0)).toEqual({
      kind: 'wait',
      waitingFor: ['ok'],
      events: [{ type: 'run.waiting', data: { nodeIds: ['ok'] } }],
    });
    s.status = 'waiting';
    expect(runEnd(s, graph, false, T0)).toEqual({ kind: 'wait', waitingFor: ['ok'], events: [] });
    expect(outcomeOf(s)).toEqual({ runId: 'run_1', status: 'waiting', waitingFor: ['ok'] });
  });

  it('a paused run stops paused; a node cancelled without a cancel of the run ends it cancelled', () => {
    expect(runEnd(state('paused', { start: 'succeeded' }), graph, false, T0)).toEqual({ kind: 'pause', events: [] });
    const odd = state('running', { start: 'succeeded', draft: 'cancelled', ok: 'skipped', out: 'skipped' });
    expect(runEnd(odd, graph, false, T0)).toEqual({ kind: 'compensate', outcome: 'cancelled', events: [] });
  });

  it('a run that has ended commits nothing more', () => {
    const s = state('succeeded', { start: 'succeeded', draft: 'succeeded', ok: 'succeeded', out: 'succeeded' });
    expect(runEnd(s, graph, false, T0)).toEqual({ kind: 'stop', events: [] });
  });
});
