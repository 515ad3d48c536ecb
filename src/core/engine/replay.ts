/**
 * Replay (runtime.md "Controls"): re-drive a finished run from its recorded outputs, with no
 * runner called, on a simulated clock and an in-memory store, and check that it reproduces
 * the same transitions per node, the same outputs and the same end.
 */
import { NodeFailure } from '../errors.js';
import type { RunEvent } from '../events.js';
import type { Graph, NodeType } from '../graph/schema.js';
import { NODE_TYPES } from '../graph/schema.js';
import type { RunId } from '../ids.js';
import type { NodeResult, NodeRunner } from '../ports.js';
import { SimClock } from './clock.js';
import type { RunnerRegistry } from './context.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';
import { foldEvents } from './state.js';

export interface ReplayReport {
  matches: boolean;
  differences: string[];
  nodesCompared: number;
}

type Recorded = { ok: true; result: NodeResult; tokens: string } | { ok: false; kind: string; message: string; retryable: boolean };

/** What each attempt of each node did, from the log. */
function recordedAttempts(events: RunEvent[]): Map<string, Map<number, Recorded>> {
  const byNode = new Map<string, Map<number, Recorded>>();
  const tokens = new Map<string, string>();
  const at = (id: string) => byNode.get(id) ?? byNode.set(id, new Map()).get(id)!;
  for (const e of events) {
    if (!e.nodeId) continue;
    const key = `${e.nodeId}:${'attempt' in e.data ? e.data.attempt : ''}`;
    switch (e.type) {
      case 'node.tokens':
        tokens.set(key, (tokens.get(key) ?? '') + e.data.text);
        break;
      case 'node.succeeded': {
        const { output, usage, costUsd, model } = e.data;
        at(e.nodeId).set(e.data.attempt, { ok: true, result: { output, ...(usage ? { usage } : {}), ...(costUsd !== undefined ? { costUsd } : {}), ...(model ? { model } : {}) }, tokens: tokens.get(key) ?? '' });
        break;
      }
      case 'node.retrying':
        at(e.nodeId).set(e.data.attempt - 1, { ok: false, ...e.data.error });
        break;
      case 'node.failed':
        at(e.nodeId).set(e.data.attempt, { ok: false, ...e.data.error });
        break;
      default:
        break;
    }
  }
  return byNode;
}

function transitionsByNode(events: RunEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (!e.nodeId || e.type === 'node.tokens' || e.type === 'node.log' || e.type === 'agent.step' || e.type === 'node.poll') continue;
    if (e.type === 'node.started' && e.data.resumed) continue; // a restart, not a transition of the work
    (out.get(e.nodeId) ?? out.set(e.nodeId, []).get(e.nodeId)!).push(e.type);
  }
  return out;
}

export async function replayRun(runId: RunId, graph: Graph, events: RunEvent[]): Promise<ReplayReport> {
  const original = foldEvents(runId, graph, events);
  const recorded = recordedAttempts(events);
  const replayRunner: NodeRunner = async (ctx) => {
    const r = recorded.get(ctx.node.id)?.get(ctx.attempt);
    if (!r) throw new NodeFailure('internal', `replay: no recorded outcome for attempt ${ctx.attempt} of ${ctx.node.id}`, { retryable: false });
    if (!r.ok) throw new NodeFailure(r.kind as never, r.message, { retryable: r.retryable });
    if (r.tokens) ctx.emitTokens(r.tokens);
    return r.result;
  };
  const runners: RunnerRegistry = {};
  for (const t of NODE_TYPES as readonly NodeType[]) runners[t] = replayRunner;
  const clock = new SimClock(Date.parse(events[0]?.ts ?? '2026-01-01T00:00:00Z'));
  const store = new MemoryStore(() => clock.now());
  const engine = new Engine({ store, clock, runners, owner: { id: 'replay' }, random: () => 0, controlPollMs: 3_600_000 });
  const created = events[0];
  const graphHash = created?.type === 'run.created' ? created.data.graphHash : '';
  // Reused outputs of a rerun are part of its record.
  const reused = events.filter((e) => e.type === 'node.succeeded' && e.data.reusedFrom).map((e) => ({ type: e.type, nodeId: e.nodeId, data: e.data }));
  const id = engine.createRun(graph, original.input, { graphHash, runId: runId, extra: reused as never });
  let outcome = await engine.drive(id);
  const decisions = events.filter((e) => e.type === 'approval.granted' || e.type === 'approval.rejected');
  const budgets = events.filter((e) => e.type === 'run.resumed' && e.data.budget);
  for (let guard = 0; guard < 1000; guard++) {
    if (outcome.status === 'waiting') {
      const next = decisions.find((d) => outcome.waitingFor?.includes(d.nodeId!));
      if (!next) break;
      decisions.splice(decisions.indexOf(next), 1);
      outcome = await engine.approve(id, next.nodeId!, { approved: next.type === 'approval.granted', ...(next.data as object) });
    } else if (outcome.status === 'paused' && outcome.pauseReason === 'budget' && budgets.length > 0) {
      const b = budgets.shift()!;
      outcome = await engine.resume(id, { budget: b.type === 'run.resumed' ? b.data.budget! : {} });
    } else break;
  }
  const replayed = store.loadRun(id).events;
  return compare(original, foldEvents(id, graph, replayed), transitionsByNode(events), transitionsByNode(replayed));
}

function compare(
  a: ReturnType<typeof foldEvents>,
  b: ReturnType<typeof foldEvents>,
  ta: Map<string, string[]>,
  tb: Map<string, string[]>,
): ReplayReport {
  const differences: string[] = [];
  if (a.status !== b.status) differences.push(`run: recorded ${a.status}, replayed ${b.status}`);
  if (JSON.stringify(a.result) !== JSON.stringify(b.result)) differences.push('run: result differs');
  let nodesCompared = 0;
  for (const [id, na] of a.nodes) {
    const nb = b.nodes.get(id)!;
    nodesCompared++;
    const sa = (ta.get(id) ?? []).join(' → ');
    const sb = (tb.get(id) ?? []).join(' → ');
    if (sa !== sb) differences.push(`${id}: transitions differ: recorded [${sa}], replayed [${sb}]`);
    else if (JSON.stringify(na.output) !== JSON.stringify(nb.output)) differences.push(`${id}: output differs`);
  }
  return { matches: differences.length === 0, differences, nodesCompared };
}
