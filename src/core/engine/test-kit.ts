/** Test helpers: an engine over a MemoryStore and a simulated clock, and event-sequence views. */
import { NodeFailure } from '../errors.js';
import { asNewEvent, type RunEvent } from '../events.js';
import type { RunId } from '../ids.js';
import type { Graph } from '../graph/schema.js';
import { validateGraph } from '../graph/validate.js';
import { llmRunner } from '../nodes/llm/runner.js';
import type { NodeRunner } from '../ports.js';
import { SimClock } from './clock.js';
import type { RunnerRegistry } from './context.js';
import { Engine } from './engine.js';
import { MemoryStore } from './memory-store.js';

/** A small seeded PRNG, so ids differ but tests repeat exactly. */
export function seeded(seed = 42): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testEngine(runners: RunnerRegistry = {}, opts: { autoClock?: boolean; commitLingerMs?: number } = {}) {
  const clock = new SimClock(undefined, opts.autoClock ?? true);
  const store = new MemoryStore(() => clock.now());
  const engine = new Engine({
    store,
    clock,
    runners: { llm: llmRunner, ...runners },
    owner: { id: 'test' },
    random: seeded(),
    controlPollMs: 60_000,
    ...(opts.commitLingerMs !== undefined ? { commitLingerMs: opts.commitLingerMs } : {}),
  });
  const events: RunEvent[] = [];
  engine.subscribe((es) => events.push(...es));
  return { engine, store, clock, events };
}

export function graph(partial: Partial<Graph> & Pick<Graph, 'nodes' | 'edges'>): Graph {
  return validateGraph({ format: 'statepipe.graph', version: 1, id: 'test', ...partial });
}

/** `type` or `type:nodeId` per event, without the noisy ones. */
export function seqOf(events: RunEvent[], opts: { keep?: (e: RunEvent) => boolean } = {}): string[] {
  const keep = opts.keep ?? ((e: RunEvent) => e.type !== 'node.tokens' && e.type !== 'node.log');
  return events.filter(keep).map((e) => (e.nodeId ? `${e.type}:${e.nodeId}` : e.type));
}

export function nodeSeq(events: RunEvent[], nodeId: string): string[] {
  return events
    .filter((e) => e.nodeId === nodeId && e.type !== 'node.tokens' && e.type !== 'node.log')
    .map((e) => e.type);
}

/** A runner that counts its calls and returns what `fn` gives. */
export function counting(fn: NodeRunner): NodeRunner & { calls: number } {
  const r = (async (ctx) => {
    r.calls++;
    return fn(ctx);
  }) as NodeRunner & { calls: number };
  r.calls = 0;
  return r;
}

/** The first `n` events of a run, re-created in a fresh engine (as if the process died then). */
export function crashAfter(
  g: Graph,
  runId: RunId,
  events: RunEvent[],
  predicate: (e: RunEvent) => boolean,
  runners: RunnerRegistry = {},
) {
  const cut = events.findIndex(predicate);
  if (cut < 0) throw new Error('cut point not found');
  const fresh = testEngine(runners);
  const kept = events.slice(0, cut + 1).map(asNewEvent);
  fresh.store.seed({ runId, graph: g, graphHash: 'h', events: kept });
  return fresh;
}

/** The NodeFailure a promise rejects with (anything else, or a resolve, throws). */
export async function nodeFailure(p: Promise<unknown>): Promise<NodeFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof NodeFailure)) throw new Error(`expected a NodeFailure, got ${String(err)}`);
  return err;
}
