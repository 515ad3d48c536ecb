/** Shared fixtures of the store tests (not a test file itself). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ev, type NewEvent } from '../../core/events.js';
import type { Graph } from '../../core/graph/schema.js';
import { asNodeId, asRunId, type RunId } from '../../core/ids.js';
import type { NewRun } from '../../core/ports.js';
import { sha256 } from './sqlite-store.js';

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'statepipe-store-'));
}

export function makeGraph(id = 'demo', extra: Partial<Graph> = {}): Graph {
  return {
    format: 'statepipe.graph',
    version: 1,
    id,
    name: `Graph ${id}`,
    nodes: [
      { id: 'in', type: 'input', config: {} },
      { id: 'ask', type: 'llm', config: { provider: 'mock', model: 'm', prompt: 'hi' } },
    ],
    edges: [{ id: 'e1', source: 'in', target: 'ask' }],
    ...extra,
  };
}

export function newRun(runId: string, graph: Graph = makeGraph(), input: unknown = { q: 1 }): NewRun {
  return {
    runId: asRunId(runId),
    graph,
    graphHash: sha256(JSON.stringify(graph)),
    events: [ev('run.created', { graphId: graph.id, graphHash: sha256(JSON.stringify(graph)), input })],
  };
}

export const rid = (s: string): RunId => asRunId(s);
export const nid = asNodeId;

export function logEvents(n: number, nodeId = 'ask'): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ev('node.log', { level: 'info', message: `m${i}` }, nid(nodeId)));
}
