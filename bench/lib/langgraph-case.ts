/**
 * The peer: LangGraph JS running the same chain / fan-out shapes with its SQLite checkpointer
 * at its defaults (durability "async", the saver's own pragmas). Each node adds 1 to a counter
 * channel, the closest thing to our constant transform.
 */
import path from 'node:path';
import type { LangGraphResult } from './cases.js';
import { nodeCount, type GraphSpec } from './graphs.js';
import { MemoryTracker } from './stats.js';

type Update = { count: number };
type NodeFn = () => Update;

/** The builder with node names as plain strings (its precise generic types cannot follow a loop). */
interface LooseBuilder {
  addNode(name: string, fn: NodeFn): LooseBuilder;
  addEdge(from: string | string[], to: string): LooseBuilder;
  compile(opts: { checkpointer: unknown }): {
    invoke(
      input: Update,
      config: { configurable: { thread_id: string }; recursionLimit: number; signal?: AbortSignal },
    ): Promise<Update>;
  };
}

function build(lg: typeof import('@langchain/langgraph'), g: GraphSpec): LooseBuilder {
  const { Annotation, StateGraph, START, END } = lg;
  const State = Annotation.Root({
    count: Annotation<number>({ reducer: (a: number, b: number) => a + b, default: () => 0 }),
  });
  const b = new StateGraph(State) as unknown as LooseBuilder;
  const one: NodeFn = () => ({ count: 1 });
  if (g.shape === 'chain') {
    for (let i = 0; i < g.n; i++) b.addNode(`n${i}`, one);
    b.addEdge(START, 'n0');
    for (let i = 0; i + 1 < g.n; i++) b.addEdge(`n${i}`, `n${i + 1}`);
    b.addEdge(`n${g.n - 1}`, END);
    return b;
  }
  if (g.shape === 'fanout') {
    const workers = Array.from({ length: g.n }, (_, i) => `w${i}`);
    b.addNode('src', one);
    for (const w of workers) b.addNode(w, one);
    b.addNode('join', one);
    b.addEdge(START, 'src');
    for (const w of workers) b.addEdge('src', w);
    b.addEdge(workers, 'join');
    b.addEdge('join', END);
    return b;
  }
  throw new Error(`langgraph case: shape ${g.shape} not supported`);
}

export async function langGraphCase(spec: {
  graph: GraphSpec;
  timeoutMs: number;
  dir: string;
}): Promise<LangGraphResult> {
  const nodes = nodeCount(spec.graph);
  let lg: typeof import('@langchain/langgraph');
  let saverMod: typeof import('@langchain/langgraph-checkpoint-sqlite');
  try {
    lg = await import('@langchain/langgraph');
    saverMod = await import('@langchain/langgraph-checkpoint-sqlite');
  } catch (err) {
    return {
      kind: 'langgraph',
      graph: spec.graph,
      nodes,
      available: false,
      note: `not available: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  const saver = saverMod.SqliteSaver.fromConnString(
    path.join(spec.dir, `langgraph-${spec.graph.shape}-${spec.graph.n}.db`),
  );

  // Warm-up on a small graph of the same shape (JIT, table creation).
  const warm = build(lg, { ...spec.graph, n: 20 }).compile({ checkpointer: saver });
  for (let i = 0; i < 3; i++)
    await warm.invoke({ count: 0 }, { configurable: { thread_id: `warm-${i}` }, recursionLimit: 100 });

  const app = build(lg, spec.graph).compile({ checkpointer: saver });
  const mem = new MemoryTracker();
  mem.begin();
  const sampler = setInterval(() => mem.sample(), 20);
  const t0 = performance.now();
  let timedOut = false;
  try {
    const out = await app.invoke(
      { count: 0 },
      { configurable: { thread_id: 'bench' }, recursionLimit: nodes + 10, signal: AbortSignal.timeout(spec.timeoutMs) },
    );
    if (out.count !== nodes) throw new Error(`langgraph ran ${out.count} nodes, expected ${nodes}`);
  } catch (err) {
    if (performance.now() - t0 < spec.timeoutMs) throw err;
    timedOut = true;
  }
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  const memory = mem.end();
  const db = saver.db;
  const count = (table: string): number =>
    Number(db.prepare(`SELECT count(*) FROM ${table} WHERE thread_id = 'bench'`).pluck().get());
  const result: LangGraphResult = {
    kind: 'langgraph',
    graph: spec.graph,
    nodes,
    available: true,
    wallMs,
    nodesPerSec: nodes / (wallMs / 1000),
    usPerNode: (wallMs * 1000) / nodes,
    synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][Number(db.pragma('synchronous', { simple: true }))] ?? '?',
    checkpoints: count('checkpoints'),
    writes: count('writes'),
    timedOut,
    memory,
  };
  if (timedOut) result.note = `stopped after ${Math.round(spec.timeoutMs / 1000)} s (throughput is an upper bound)`;
  db.close();
  return result;
}
